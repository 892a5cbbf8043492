#include "lutra/experiments/verilator.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/verilog.hpp"

namespace fs = std::filesystem;

namespace lutra::experiments {

namespace {

std::string str(std::uint64_t v) { return std::to_string(v); }

// A program on PATH, or "" when there is none.
fs::path find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
}

// yosys's simulation models of the Xilinx primitives, ../share/yosys beside
// the yosys binary (as tests/fpga/verify_export.sh finds them).
fs::path xilinx_models() {
    const fs::path yosys = find_program("yosys");
    if (yosys.empty()) return {};
    std::error_code ec;
    const fs::path models = fs::canonical(yosys, ec).parent_path().parent_path() / "share/yosys/xilinx/cells_sim.v";
    return !ec && fs::exists(models) ? models : fs::path{};
}

std::string shell_quoted(const fs::path& p) {
    std::string s = "'";
    for (const char c : p.string()) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return s + "'";
}

void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) throw io_error(path.string(), "write", "cannot write the file (disk full or no permission?)");
}

// The last lines of a log, for an error message.
std::string tail(const fs::path& log, std::size_t lines) {
    std::ifstream in(log);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);) all.push_back(line);
    std::string s;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) s += "\n  " + all[i];
    return s;
}

// The harness: reads the stimulus (ticks × input words), runs the tick loop
// with the clock described in verilator.hpp and prints
// "ticks <n> seconds <s> digest <hex>".
std::string harness(const fpga::module_interface& dut) {
    const bool has_inputs = !dut.inputs.empty();
    std::ostringstream h;
    h << "// Written by Lutra (lutra::experiments::run_verilator): drives V" << dut.name
      << " tick by tick.\n"
      << "#include <chrono>\n#include <cinttypes>\n#include <cstdint>\n#include <cstdio>\n#include <cstdlib>\n"
      << "#include <ctime>\n#include <vector>\n"
      << "#include \"V" << dut.name << ".h\"\n#include \"verilated.h\"\n\n"
      << "namespace {\n"
      << "// A port of up to 64 bits is an integer, a wider one 32-bit words (VlWide).\n"
      << "template <class T> void set_port(T& port, const std::uint32_t* w) {\n"
      << "    if constexpr (sizeof(T) <= 4) port = static_cast<T>(w[0]);\n"
      << "    else port = static_cast<T>(w[0]) | static_cast<T>(static_cast<std::uint64_t>(w[1]) << 32);\n"
      << "}\n"
      << "template <std::size_t N> void set_port(VlWide<N>& port, const std::uint32_t* w) {\n"
      << "    for (std::size_t i = 0; i < N; ++i) port.at(i) = w[i];\n"
      << "}\n"
      << "template <class T> void get_port(const T& port, std::uint32_t* w) {\n"
      << "    w[0] = static_cast<std::uint32_t>(port);\n"
      << "    if constexpr (sizeof(T) > 4) w[1] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(port) >> 32);\n"
      << "}\n"
      << "template <std::size_t N> void get_port(const VlWide<N>& port, std::uint32_t* w) {\n"
      << "    for (std::size_t i = 0; i < N; ++i) w[i] = port.at(i);\n"
      << "}\n"
      << "}  // namespace\n\n"
      << "int main(int argc, char** argv) {\n"
      << "    if (argc != 4) { std::fprintf(stderr, \"usage: harness STIMULUS COLUMNS TICKS\\n\"); return 2; }\n"
      << "    const std::size_t in_words = " << (dut.input_bits() + 31) / 32 << ";\n"
      << "    const std::size_t out_words = " << (dut.output_bits() + 63) / 64 * 2 << ";  // 64-bit words as pairs\n"
      << "    const std::size_t columns = std::strtoull(argv[2], nullptr, 10);\n"
      << "    const std::uint64_t ticks = std::strtoull(argv[3], nullptr, 10);\n"
      << "    std::vector<std::uint32_t> stimulus(columns * in_words + 2, 0);\n"
      << "    if (in_words > 0) {\n"
      << "        std::FILE* f = std::fopen(argv[1], \"rb\");\n"
      << "        if (!f || std::fread(stimulus.data(), 4, columns * in_words, f) != columns * in_words) {\n"
      << "            std::fprintf(stderr, \"cannot read %zu words from %s\\n\", columns * in_words, argv[1]);\n"
      << "            return 1;\n"
      << "        }\n"
      << "        std::fclose(f);\n"
      << "    }\n"
      << "    std::vector<std::uint32_t> nodes(out_words + 2, 0);\n"
      << "    VerilatedContext context;\n"
      << "    V" << dut.name << " top{&context};\n";
    if (dut.clocked) h << "    top.clk = 0;\n";
    h << "    std::uint64_t digest = 0;\n"
      << "    timespec cpu_start{}, cpu_end{};\n"
      << "    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);\n"
      << "    const auto start = std::chrono::steady_clock::now();\n"
      << "    for (std::uint64_t t = 0; t < ticks; ++t) {\n";
    if (has_inputs) h << "        set_port(top." << dut.inputs[0].name << ", &stimulus[(t % columns) * in_words]);\n";
    if (dut.clocked) h << "        top.clk = 0;\n";
    h << "        top.eval();\n"
      << "        get_port(top." << dut.outputs[0].name << ", nodes.data());\n"
      << "        for (std::size_t w = 0; w < out_words; w += 2) {\n"
      << "            const std::uint64_t word = nodes[w] | static_cast<std::uint64_t>(nodes[w + 1]) << 32;\n"
      << "            digest = (digest ^ word) * 0x100000001b3ULL;  // time_bench.hpp's trace_digest\n"
      << "        }\n";
    if (dut.clocked)
        h << "        top.clk = 1;\n"
          << "        top.eval();\n";
    h << "    }\n"
      << "    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();\n"
      << "    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);\n"
      << "    const double cpu = static_cast<double>(cpu_end.tv_sec - cpu_start.tv_sec) +\n"
      << "                       1e-9 * static_cast<double>(cpu_end.tv_nsec - cpu_start.tv_nsec);\n"
      << "    top.final();\n"
      << "    std::printf(\"ticks %\" PRIu64 \" seconds %.9f digest %016\" PRIx64 \" cpu_seconds %.9f\\n\", ticks, seconds,\n"
      << "                digest, cpu);\n"
      << "    return 0;\n"
      << "}\n";
    return h.str();
}

}  // namespace

std::uint64_t engine_trace_digest(core::time_engine_kind kind, const core::network& net,
                                  const core::bit_matrix& stimulus, std::uint64_t ticks) {
    if (stimulus.rows() != net.num_inputs() || stimulus.samples() == 0)
        throw error("engine_trace_digest: the stimulus has " + str(stimulus.rows()) + " rows and " +
                    str(stimulus.samples()) + " ticks; it needs the network's " + str(net.num_inputs()) +
                    " inputs as rows and at least one tick");
    const auto engine = core::make_timed_engine(kind, net, {.streams = 1});
    std::uint64_t d = 0;
    for (std::uint64_t t = 0; t < ticks; ++t) {
        engine->step(core::sample_range(stimulus, t % stimulus.samples(), 1));
        d = fold_tick(d, *engine);
    }
    return d;
}

core::bit_matrix stimulus_columns(const stimulus_tape& tape) {
    core::bit_matrix m(tape.num_inputs(), tape.period());
    for (std::size_t t = 0; t < tape.period(); ++t)
        for (std::uint32_t i = 0; i < tape.num_inputs(); ++i) m.set(i, t, tape.at(t).get(i, 0));
    return m;
}

verilator_run run_verilator(const core::network& net, const core::bit_matrix& stimulus, std::uint64_t ticks,
                            const fs::path& work_dir, const verilator_options& options) {
    const std::string what = "run_verilator (" + work_dir.string() + ")";
    if (stimulus.rows() != net.num_inputs() || stimulus.samples() == 0)
        throw error(what + ": the stimulus has " + str(stimulus.rows()) + " rows and " + str(stimulus.samples()) +
                    " ticks; it needs the network's " + str(net.num_inputs()) + " inputs as rows and at least one tick");
    if (net.num_nodes() == 0) throw error(what + ": the network has no nodes; there is nothing to simulate");
    if (find_program("verilator").empty())
        throw error(what + ": verilator is not on PATH (Debian's package verilator; bash .ci/setup installs it)");
    const fs::path models = options.style == verilog_style::xilinx ? xilinx_models() : fs::path{};
    if (options.style == verilog_style::xilinx && models.empty())
        throw error(what + ": the Xilinx style needs yosys's models of the primitives (share/yosys/xilinx/cells_sim.v "
                           "beside yosys; Debian's package yosys), or run the generic style");
    std::error_code ec;
    fs::create_directories(work_dir, ec);
    if (ec) throw io_error(work_dir.string(), "create directory", ec.message());

    std::ostringstream verilog;
    const fpga::module_interface dut = options.style == verilog_style::xilinx
                                           ? fpga::write_network_xilinx(net, {}, verilog)
                                           : fpga::write_network_generic(net, {}, verilog);
    write_file(work_dir / (dut.name + ".v"), verilog.str());
    write_file(work_dir / "harness.cpp", harness(dut));

    // The stimulus, tick by tick: the input bits as 32-bit words, little-endian.
    const std::size_t in_words = (std::size_t{net.num_inputs()} + 31) / 32;
    std::string bytes(stimulus.samples() * in_words * 4, '\0');
    for (std::size_t t = 0; t < stimulus.samples(); ++t)
        for (std::uint32_t i = 0; i < net.num_inputs(); ++i)
            if (stimulus.get(i, t)) bytes[(t * in_words + i / 32) * 4 + (i % 32) / 8] |= static_cast<char>(1U << (i % 8));
    write_file(work_dir / "stimulus.bin", bytes);

    verilator_run run;
    run.log = work_dir / "verilator.log";
    std::string command = "cd " + shell_quoted(work_dir) +
                          " && rm -rf obj && verilator --cc --exe --build -j " + str(options.jobs) +
                          " -O3 --x-assign fast --x-initial fast --noassert -Wno-fatal -Wno-lint -Wno-style"
                          " --max-num-width " +
                          str(std::max<std::uint64_t>(65536, std::uint64_t{net.num_nodes()} + 64)) +
                          " --top-module " + dut.name + " -Mdir obj -o sim -MAKEFLAGS " +
                          shell_quoted("OPT_FAST=" + options.opt_fast);
    if (options.output_split > 0) command += " --output-split " + str(options.output_split);
    command += " " + dut.name + ".v";
    if (!models.empty()) command += " " + shell_quoted(models);
    command += " harness.cpp > verilator.log 2>&1";
    const auto start = std::chrono::steady_clock::now();
    if (std::system(command.c_str()) != 0)
        throw error(what + ": verilating or compiling failed; see " + run.log.string() + ":" + tail(run.log, 15));
    run.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const fs::path run_log = work_dir / "run.log";
    const std::string simulate = "cd " + shell_quoted(work_dir) + " && ./obj/sim stimulus.bin " + str(stimulus.samples()) +
                                 " " + str(ticks) + " > run.log 2>&1";
    if (std::system(simulate.c_str()) != 0)
        throw error(what + ": the Verilated model failed; see " + run_log.string() + ":" + tail(run_log, 15));
    std::ifstream result(run_log);
    std::string word, digest_hex;
    double seconds = 0, cpu_seconds = 0;
    result >> word >> run.ticks >> word >> seconds >> word >> digest_hex >> word >> cpu_seconds;
    if (!result || run.ticks != ticks)
        throw error(what + ": cannot read 'ticks N seconds S digest D cpu_seconds C' from " + run_log.string() + ":" +
                    tail(run_log, 5));
    run.cpu_ticks_per_second = cpu_seconds > 0 ? static_cast<double>(ticks) / cpu_seconds : 0;
    run.trace_digest = std::stoull(digest_hex, nullptr, 16);
    run.ticks_per_second = seconds > 0 ? static_cast<double>(ticks) / seconds : 0;
    return run;
}

}  // namespace lutra::experiments
