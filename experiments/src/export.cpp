#include "lutra/experiments/export.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <span>
#include <sstream>

#include "lutra/core/dataset.hpp"
#include "lutra/core/bitslice_engine.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/core/sequence.hpp"
#include "lutra/experiments/sequence.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/runner.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/fpga/cells.hpp"
#include "lutra/fpga/classifier.hpp"
#include "lutra/fpga/passes.hpp"
#include "lutra/fpga/report.hpp"
#include "lutra/fpga/verilog.hpp"
#include "lutra/runfile/layout.hpp"
#include "lutra/runfile/run_reader.hpp"

namespace fs = std::filesystem;

namespace lutra::experiments {

namespace {

// The first n samples of a split.
core::data_split first_samples(const core::data_split& split, std::size_t n, std::size_t features) {
    core::data_split part;
    part.features.assign(split.features.begin(), split.features.begin() + static_cast<std::ptrdiff_t>(n * features));
    part.labels.assign(split.labels.begin(), split.labels.begin() + static_cast<std::ptrdiff_t>(n));
    return part;
}

// Writes the export's files into its publication (core/publish.hpp) and
// lists them under their final names.
class file_writer {
public:
    explicit file_writer(core::directory_publication& out) : out_(out) {}

    // Writes `name` (relative to the directory) with what `fill` streams.
    template <class Fill>
    void write(const std::string& name, Fill&& fill) {
        std::ostringstream text;
        fill(text);
        out_.write(name, std::move(text).str());
        written_.push_back(out_.target() / name);
    }
    [[nodiscard]] const std::vector<fs::path>& written() const noexcept { return written_; }

private:
    core::directory_publication& out_;
    std::vector<fs::path> written_;
};

}  // namespace

namespace {

// What every export checks before any work.
void check_request(const export_request& request) {
    if (request.target != "xilinx" && request.target != "generic")
        throw error("export: target '" + request.target + "' is not one of xilinx, generic");
    if (request.target == "generic" && request.pipeline_every != 0)
        throw error("export: --pipeline applies to --target xilinx; the generic style is combinational");
    if (request.sequence && request.target != "xilinx")
        throw error("export: a sequence classifier is written in the xilinx style only (target '" + request.target +
                    "'); the generic style has no start, tick counter or accumulators");
    if (request.sequence && request.pipeline_every != 0)
        throw error("export: a sequence classifier cannot be pipelined (--pipeline " +
                    std::to_string(request.pipeline_every) + "): its outputs must belong to the tick that made them");
    if (request.out_dir.empty()) throw error("export: no output directory given (--out DIR)");
    const core::output_state out_state = core::inspect_output(request.out_dir);
    if (out_state == core::output_state::not_a_directory)
        throw error("export: " + request.out_dir.string() + " exists and is not a directory");
    if (out_state == core::output_state::non_empty_directory && !request.force)
        throw error("export: " + request.out_dir.string() +
                    " is not empty; choose another --out, or give --force to write into it");
    (void)fpga::find_part(request.part);  // an unknown part fails before any work
    if (request.comparators != "one-table" && request.comparators != "two-tables")
        throw error("export: comparators '" + request.comparators + "' is not one of one-table, two-tables");
    if (request.argmax != "tournament" && request.argmax != "all-pairs" && request.argmax != "auto")
        throw error("export: argmax '" + request.argmax + "' is not one of tournament, all-pairs, auto");
    if (request.pack_lut6_2 != "on" && request.pack_lut6_2 != "off")
        throw error("export: pack-lut6-2 '" + request.pack_lut6_2 + "' is not one of on, off");
}

// A classifier built, simplified, mapped and counted.
struct mapped_design {
    fpga::logic_design design;
    fpga::simplify_stats stats;
    fpga::cell_netlist netlist;
    fpga::resource_report report;
};

void check_model(const core::network& net, const core::encoder& enc, const std::string& where) {
    if (net.head().num_classes == 0)
        throw error(where + ": the network has no group-sum head; export writes a classifier and needs one");
    if (net.num_inputs() != enc.num_bits())
        throw error(where + ": the network reads " + std::to_string(net.num_inputs()) +
                    " input bits but the stored encoder makes " + std::to_string(enc.num_bits()));
}

// The export of a checked request and model; samples are the static
// classifier's test vectors (none for a sequence classifier, whose vectors
// come from request.sequence_pixels).
export_summary export_model(const export_request& request, const core::network& net, const core::encoder& enc,
                            const std::string& where, const core::data_split& samples) {
    const fpga::report_options report_options{.part = request.part,
                                              .clock_mhz = request.clock_mhz,
                                              .pipeline_every = request.pipeline_every,
                                              .cycles_per_sample = request.sequence ? request.sequence->ticks : 1};
    const auto build = [&](fpga::argmax_form argmax) {
        const fpga::classifier_options classifier{.comparators = request.comparators == "one-table"
                                                                     ? fpga::comparator_form::one_table
                                                                     : fpga::comparator_form::two_tables,
                                                  .argmax = argmax};
        mapped_design m;
        try {
            m.design = request.sequence ? fpga::sequence_classifier_design(net, enc, *request.sequence, classifier)
                                        : fpga::classifier_design(net, enc, classifier);
        } catch (const error& e) {
            throw error(where + ": " + e.what());
        }
        m.stats = fpga::simplify(m.design);
        m.netlist = fpga::map_cells(m.design);
        if (request.target == "xilinx" && request.pack_lut6_2 == "on")
            (void)fpga::pack_lut6_2(m.netlist, request.pipeline_every);
        m.report = fpga::make_report(m.netlist, report_options);
        return m;
    };
    // auto: every form counted; of those within the depth budget, the
    // fewest LUT6 sites kept (ties: the shallower, then the first).
    std::vector<fpga::argmax_form> forms;
    if (request.argmax != "all-pairs") forms.push_back(fpga::argmax_form::tournament);
    if (request.argmax != "tournament") forms.push_back(fpga::argmax_form::all_pairs);
    const auto form_name = [](fpga::argmax_form f) {
        return std::string(f == fpga::argmax_form::tournament ? "tournament" : "all-pairs");
    };
    std::vector<mapped_design> built;
    std::string tried;
    std::uint32_t shallowest = UINT32_MAX;
    std::optional<std::size_t> best;
    for (std::size_t f = 0; f < forms.size(); ++f) {
        const mapped_design& m = built.emplace_back(build(forms[f]));
        const fpga::resource_counts& total = m.report.total;
        tried += (f == 0 ? "" : ", ") + form_name(forms[f]) + " " + std::to_string(total.lut6_sites) + " LUT6 / depth " +
                 std::to_string(total.depth);
        shallowest = std::min(shallowest, total.depth);
        if (request.max_depth != 0 && total.depth > request.max_depth) continue;
        const auto cost = [](const mapped_design& x) { return std::pair(x.report.total.lut6_sites, x.report.total.depth); };
        if (!best || cost(m) < cost(built[*best])) best = f;
    }
    if (!best)
        throw error(where + ": no argmax form keeps the classifier within --max-depth " +
                    std::to_string(request.max_depth) + " LUT levels (" + tried + "); give at least " +
                    std::to_string(shallowest) + ", or 0 for no budget");
    const mapped_design& chosen_design = built[*best];
    const fpga::argmax_form chosen_form = forms[*best];
    const fpga::logic_design& design = chosen_design.design;
    const fpga::cell_netlist& netlist = chosen_design.netlist;
    const fpga::resource_report& report = chosen_design.report;
    const std::string name = design.name;

    // The test sequences to write: whole sequences only, at most request.vectors.
    std::span<const std::uint8_t> sequence_pixels;
    std::size_t sequences = 0;
    if (request.sequence) {
        const std::size_t per_sequence = std::size_t{request.sequence->ticks} * enc.num_features();
        if (request.sequence_pixels.size() % per_sequence != 0)
            throw error(where + ": the test sequences have " + std::to_string(request.sequence_pixels.size()) +
                        " pixel bytes, not a whole number of sequences of " + std::to_string(request.sequence->ticks) +
                        " ticks × " + std::to_string(enc.num_features()) + " features");
        const std::size_t available = request.sequence_pixels.size() / per_sequence;
        if (!request.sequence_labels.empty() && request.sequence_labels.size() != available)
            throw error(where + ": " + std::to_string(request.sequence_labels.size()) + " labels for " +
                        std::to_string(available) + " test sequences");
        sequences = std::min(request.vectors.value_or(available), available);
        sequence_pixels = std::span(request.sequence_pixels).first(sequences * per_sequence);
    }

    export_summary summary;
    summary.passes = fpga::to_text(chosen_design.stats);
    summary.argmax = form_name(chosen_form);
    if (forms.size() > 1)
        summary.argmax += " (auto of " + tried +
                          (request.max_depth != 0 ? "; depth budget " + std::to_string(request.max_depth) : "") + ")";
    summary.report = fpga::to_text(report);
    summary.latency_cycles = report.latency_cycles;

    // The chosen style into memory first: its interface shapes the vectors.
    std::ostringstream chosen;
    const fpga::module_interface dut =
        request.target == "xilinx"
            ? fpga::write_xilinx(netlist, {.pipeline_every = request.pipeline_every, .design = &design}, chosen)
            : fpga::write_generic(net, enc, {}, chosen);
    if (dut.latency != report.latency_cycles)
        throw internal_error("export: the Verilog's latency (" + std::to_string(dut.latency) +
                             " cycles) differs from the report's (" + std::to_string(report.latency_cycles) + ")");

    fpga::test_vectors vectors;
    if (sequences > 0) {
        vectors = fpga::sequence_classifier_vectors(dut, net, enc, *request.sequence, sequence_pixels);
        // The mapped cells, run tick by tick in C++ through every sequence
        // back to back, must already be bit-exact with the model.
        if (!(fpga::evaluate_ticks(netlist, vectors.inputs) == vectors.outputs))
            throw internal_error("export: the mapped cells differ from the C++ model on the test sequences");
        summary.sequences = sequences;
        summary.vectors = vectors.inputs.samples();
        if (!request.sequence_labels.empty()) {
            const std::uint32_t last = core::readout_ticks(*request.sequence).back();
            for (std::size_t s = 0; s < sequences; ++s) {
                std::uint32_t prediction = 0;
                for (std::uint32_t b = 0; b < dut.outputs[0].width; ++b)
                    prediction |= std::uint32_t{vectors.outputs.get(b, s * request.sequence->ticks + last)} << b;
                summary.correct += prediction == request.sequence_labels[s];
            }
        }
    } else if (samples.size() > 0) {
        vectors = fpga::classifier_vectors(dut, net, enc, samples);
        // The mapped cells, evaluated in C++, must already be bit-exact with
        // the model; a difference here is a bug in the passes or the mapping.
        const core::bit_matrix cells_out = fpga::evaluate(netlist, vectors.inputs);
        if (!(cells_out == vectors.outputs))
            throw internal_error("export: the mapped cells differ from the C++ model on the test vectors");
        summary.vectors = samples.size();
        const core::head_output expected = core::bitslice_engine(net).classify(enc.encode(samples));
        for (std::size_t s = 0; s < samples.size(); ++s) summary.correct += expected.predictions[s] == samples.labels[s];
    }
    summary.labelled = request.sequence ? !request.sequence_labels.empty() : true;

    // The whole design appears at once, COMPLETE written last: a kill or a
    // full disk leaves no export that looks whole (tests/fpga/verify_export.sh
    // checks the mark).
    core::directory_publication out(request.out_dir, {.replace = request.force});
    file_writer files(out);
    files.write(name + ".v", [&](std::ostream& out) { out << chosen.str(); });
    if (summary.vectors > 0) {
        files.write(name + "_tb.v", [&](std::ostream& out) { fpga::write_testbench(dut, summary.vectors, {}, out); });
        std::ostringstream in, expected;
        fpga::write_vectors(dut, vectors, in, expected);
        files.write("vectors_in.hex", [&](std::ostream& out) { out << in.str(); });
        files.write("vectors_out.hex", [&](std::ostream& out) { out << expected.str(); });
    }
    files.write("report.txt", [&](std::ostream& out) {
        out << "lutra export of " << where << " (target " << request.target << ")\n";
        if (request.sequence) {
            out << "sequence classifier: " << request.sequence->ticks << " ticks per sequence, readout ticks";
            for (const std::uint32_t t : core::readout_ticks(*request.sequence)) out << ' ' << t;
            out << "; one tick per clock cycle, start on tick 0, valid at the last readout tick\n";
        }
        out << "head argmax: " << summary.argmax << "\n";
        out << "\n" << summary.report << "\n"
            << summary.passes << "\n"
            << "# The same report as key=value lines (verify_export.sh reads them):\n"
            << fpga::to_key_values(report);
    });
    if (net.combinational() && !request.sequence) {
        files.write("equiv/xilinx.v", [&](std::ostream& out) { (void)fpga::write_xilinx(netlist, {.design = &design}, out); });
        files.write("equiv/generic.v", [&](std::ostream& out) { (void)fpga::write_generic(net, enc, {}, out); });
        files.write("yosys_equiv.ys", [&](std::ostream& out) {
            fpga::write_equivalence_script("equiv/generic.v", "equiv/xilinx.v", name, out);
        });
    }
    files.write("yosys_synth.ys", [&](std::ostream& out) { fpga::write_synthesis_script(name + ".v", name, out); });
    out.commit();
    summary.files = files.written();
    summary.files.push_back(out.target() / core::complete_mark);
    return summary;
}

}  // namespace

export_summary export_run(const export_request& request) {
    check_request(request);

    // The run: network, encoder and the dataset its config names.
    const runfile::run_reader reader(finished_run_file(request.run));  // a run directory stands for its run.h5
    const core::network net = reader.network();
    const core::encoder enc = reader.encoder().encoder;
    const std::string where = reader.path().string();
    check_model(net, enc, where);

    // A run trained on sequences (time.sequence) is a sequence classifier:
    // its spec and test sequences come from its config, as lutra eval reads them.
    const experiment_settings s = parse_config<experiment_settings>(
        reader.read_text(runfile::layout::config.name()), where + ":" + std::string(runfile::layout::config.path));
    if (s.time.sequence.ticks != 0 && !request.sequence) {
        export_request sequential = request;
        sequential.sequence = sequence_spec_of(s.time.sequence);
        if (request.vectors.value_or(1) > 0) {
            spdlog::info("reading the test sequences of {} for test vectors", s.time.input.dataset);
            const sequence_data d = load_sequences(s.time.input, s.time.sequence, s.seed);
            sequential.sequence_pixels = test_sequence_pixels(d, s.time.sequence.ticks);
            sequential.sequence_labels = d.test.labels;
        }
        check_request(sequential);
        return export_model(sequential, net, enc, where, {});
    }

    // Test vectors from the run's test split: the same dataset options as
    // lutra eval (evaluate_run in runner.cpp) uses. A sequence classifier's
    // come with the request.
    core::data_split samples;
    if (request.vectors.value_or(1) > 0 && !request.sequence) {
        if (!net.combinational()) {
            spdlog::warn("{}: the network has delayed connections; no test vectors, test bench or equivalence proof "
                         "(the C++ model's bit-sliced engine runs combinational networks only)",
                         where);
        } else {
            spdlog::info("loading {} for test vectors", s.data.name);
            const core::dataset data = load_data_for(
                s.data, enc, where + ": test vectors need the run's dataset (or export without vectors: --vectors 0)");
            const std::size_t n = std::min(request.vectors.value_or(data.test.size()), data.test.size());
            if (request.vectors && *request.vectors > data.test.size())
                spdlog::warn("--vectors {}: the test split has {} samples; writing {}", *request.vectors,
                             data.test.size(), n);
            samples = first_samples(data.test, n, data.num_features());
        }
    }
    return export_model(request, net, enc, where, samples);
}

export_summary export_network(const export_request& request, const core::network& net, const core::encoder& enc,
                              const std::string& where) {
    check_request(request);
    check_model(net, enc, where);
    return export_model(request, net, enc, where, {});
}

std::string to_text(const export_summary& summary) {
    std::string text = summary.passes + "\n" + summary.report + "head argmax: " + summary.argmax + "\n";
    if (summary.vectors > 0) {
        const std::size_t samples = summary.sequences > 0 ? summary.sequences : summary.vectors;
        char line[200];
        if (summary.sequences > 0)
            std::snprintf(line, sizeof line, "vectors:    %zu ticks of %zu test sequences", summary.vectors,
                          summary.sequences);
        else
            std::snprintf(line, sizeof line, "vectors:    %zu test samples", summary.vectors);
        text += line;
        if (summary.labelled) {
            std::snprintf(line, sizeof line, ", %zu predicted right by the C++ model (%.2f%%)", summary.correct,
                          100.0 * static_cast<double>(summary.correct) / static_cast<double>(samples));
            text += line;
        }
        text += "\n";
    }
    text += "latency:    " + std::to_string(summary.latency_cycles) + " clock cycles\n";
    for (const fs::path& file : summary.files) text += "wrote:      " + file.string() + "\n";
    return text;
}

}  // namespace lutra::experiments
