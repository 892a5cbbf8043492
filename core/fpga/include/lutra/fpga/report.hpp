#pragma once
// The resource report of a cell netlist (DESIGN §8): LUTs, MUXF7/MUXF8,
// flip-flops, logic depth, per part of the classifier, against a named FPGA
// part, with throughput and latency at a stated clock. Open tools cannot
// measure a 7-series Fmax, so the clock is the caller's assumption and the
// report never claims one.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/passes.hpp"

namespace lutra::fpga {

// A target device: what the utilisation is measured against.
struct fpga_part {
    std::string name;              // lower case, e.g. "xc7k480t"
    std::uint64_t lut6 = 0;        // LUT6 sites (slices × 4)
    std::uint64_t flip_flops = 0;  // slice flip-flops (slices × 8)
};

// The parts the report knows, the default (xc7k480t) first.
[[nodiscard]] const std::vector<fpga_part>& known_parts();
// By name, ignoring case; throws lutra::unknown_name_error listing the known parts.
[[nodiscard]] const fpga_part& find_part(std::string_view name);

// What a group of cells uses.
//
// Flip-flops come from two sources:
//   - delays: each signal read through a delay gets one shift register as
//     long as its longest delay, and every delayed reader taps it, so a
//     signal read with delays 1 and 3 costs 3 flip-flops, not 4;
//   - pipeline registers: the chains of pipeline_stages() (cells.hpp).
struct resource_counts {
    std::array<std::uint64_t, 7> luts_by_inputs{};  // LUTs by inputs wired to a non-constant signal, 0..6
    // LUT6 sites: one per LUT, less one per LUT6_2 pair (cell_netlist::
    // lut6_2_pairs): a pair's two cells belong to one part, so the site is
    // that part's and the parts add up to the total.
    std::uint64_t lut6_sites = 0;
    std::uint64_t lut6_2_sites = 0;  // of them, sites that hold a LUT6_2 pair (two LUTs)
    std::uint64_t muxf7 = 0;
    std::uint64_t muxf8 = 0;
    std::uint64_t delay_flip_flops = 0;
    std::uint64_t pipeline_flip_flops = 0;
    std::uint32_t depth = 0;  // the largest LUT level among the cells (lut_levels)
    // The most LUTs of this group on one zero-delay path, only this group's
    // LUTs counted: the part's own depth (encoder + network + popcount +
    // argmax of a classifier add up to its total depth). Total: = depth.
    std::uint32_t own_depth = 0;
    [[nodiscard]] std::uint64_t flip_flops() const noexcept { return delay_flip_flops + pipeline_flip_flops; }
};

struct report_options {
    std::string part = "xc7k480t";
    double clock_mhz = 100.0;          // the stated clock: an assumption, never a measured Fmax
    std::uint32_t pipeline_every = 0;  // LUT levels per pipeline stage; 0 = no pipeline registers
    std::uint32_t cycles_per_sample = 1;  // a sequence classifier: its ticks per sequence, one tick a cycle
};

struct resource_report {
    std::string design;
    fpga_part part;
    double clock_mhz = 0;
    std::uint32_t pipeline_every = 0;
    resource_counts total;
    // Per part (encoder, network, popcount, argmax): the cells of that role,
    // the registers on their outputs, their depth (levels count from the
    // primary inputs, so the argmax's depth includes everything below it)
    // and their own depth.
    std::array<resource_counts, num_parts> per_part{};
    // Registers on primary inputs (and on delayed constants), which belong
    // to no part; only its flip-flop fields are used.
    resource_counts inputs;
    std::uint32_t stages = 1;          // pipeline stages (pipeline_stages)
    std::uint32_t latency_cycles = 0;  // from a primary input to the outputs; 0 = combinational
    double lut_utilisation_percent = 0;
    double flip_flop_utilisation_percent = 0;
    std::uint32_t cycles_per_sample = 1;  // 1: fully unrolled; a sequence classifier: ticks per sequence
    double samples_per_second = 0;        // one sample per cycles_per_sample clocks
    double latency_ns = 0;          // latency_cycles clock periods at the stated clock
};

// Counts the netlist against options.part (found with find_part). Throws
// lutra::error for a clock that is not a positive number of MHz, or for a
// LUT6_2 pair that breaks a rule (check_lut6_2_pairs with the pipeline of
// options.pipeline_every).
[[nodiscard]] resource_report make_report(const cell_netlist& netlist, const report_options& options);

// A table for people.
[[nodiscard]] std::string to_text(const resource_report& report);
// One `key=value` per line (keys like `total.lut6_sites`, `network.muxf7`,
// `head.luts_4_inputs`, `latency_cycles`), for scripts and tests.
[[nodiscard]] std::string to_key_values(const resource_report& report);

}  // namespace lutra::fpga
