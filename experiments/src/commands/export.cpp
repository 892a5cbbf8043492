// `lutra export`: a run's classifier as Verilog with a test bench, vectors
// and a resource report (docs/fpga.md; the work is export_run).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "lutra/experiments/export.hpp"

namespace lutra::experiments::commands {

void add_export_commands(CLI::App& app, command_table& table) {
    auto* export_cmd = app.add_subcommand(
        "export", "a run's classifier as Verilog with a test bench, vectors and a resource report (docs/fpga.md)");
    auto req = std::make_shared<export_request>();
    export_cmd->add_option("run", req->run, "run directory or run.h5")->required();
    export_cmd->add_option("--target", req->target, "xilinx (primitives) or generic (behavioural RTL)")
        ->check(CLI::IsMember({"xilinx", "generic"}))
        ->capture_default_str();
    export_cmd->add_option("--out", req->out_dir, "output directory (empty or new)")->required()->type_name("DIR");
    export_cmd->add_option("--pipeline", req->pipeline_every, "LUT levels per pipeline stage, 0 = none (xilinx)")
        ->capture_default_str();
    export_cmd->add_option("--clock", req->clock_mhz, "stated clock in MHz for throughput and latency")
        ->capture_default_str();
    export_cmd->add_option("--part", req->part, "FPGA part the report counts against")->capture_default_str();
    export_cmd->add_option("--comparators", req->comparators, "encoder comparators: two-tables (default, 2 LUT6 each) or one-table (4 LUT6 + 3 MUXF7/F8)")
        ->check(CLI::IsMember({"one-table", "two-tables"}))
        ->capture_default_str();
    export_cmd->add_option("--argmax", req->argmax,
                           "head argmax: tournament (fewest LUTs), all-pairs (shallow) or auto (the fewer LUT6 "
                           "sites of the two, ties to the shallower)")
        ->check(CLI::IsMember({"tournament", "all-pairs", "auto"}))
        ->capture_default_str();
    export_cmd->add_option("--max-depth", req->max_depth,
                           "depth budget in LUT levels: --argmax auto chooses among the forms within it; 0 = none")
        ->capture_default_str();
    export_cmd->add_option("--pack-lut6-2", req->pack_lut6_2,
                           "xilinx: two LUTs of at most 5 shared inputs in one LUT6 site (a LUT6_2): on or off")
        ->check(CLI::IsMember({"on", "off"}))
        ->capture_default_str();
    export_cmd->add_option("--vectors", req->vectors, "test samples as vectors (default all, 0 = none)");
    export_cmd->add_flag("--force", req->force, "write into a non-empty output directory");
    table.add(*export_cmd, [req] {
        std::printf("%s", to_text(export_run(*req)).c_str());
        return 0;
    });
}

}  // namespace lutra::experiments::commands
