// `lutra genome show|develop|encode|decode|mutate`: a genome read from YAML
// or its A/C/G/T text form, summarised, grown into a graph, converted
// between the forms, or changed by an evolution operator.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/publish.hpp"
#include "lutra/experiments/config.hpp"
#include "lutra/experiments/memory.hpp"
#include "lutra/experiments/progress.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/topology/develop.hpp"
#include "lutra/topology/error.hpp"
#include "lutra/topology/evolution.hpp"
#include "lutra/topology/genome_text.hpp"

namespace lutra::experiments::commands {

namespace {

std::string histogram_text(const std::vector<topology::histogram_bin>& bins) {
    std::string s;
    for (const auto& b : bins) s += (s.empty() ? "" : ", ") + std::to_string(b.value) + "×" + std::to_string(b.count);
    return s.empty() ? "none" : s;
}

void print_genome_summary(const topology::genome& g) {
    std::printf("inputs:      %u × %u pixels × %u bits = %u input bits\n", g.inputs.width, g.inputs.height,
                g.inputs.bits, g.num_input_bits());
    std::uint64_t nodes = 0;
    for (const auto& p : g.populations) {
        nodes += p.size;
        std::printf("population:  %-12s %7u nodes, k = %2u, init %s\n", p.name.c_str(), p.size, p.k,
                    p.init.kind.c_str());
    }
    for (const auto& pr : g.projections) {
        std::string sources;
        for (const auto& src : pr.sources) sources += (sources.empty() ? "" : ", ") + src;
        std::printf("projection:  %-12s <- %s (%s, %s slots)\n", pr.target.c_str(), sources.c_str(), pr.rule.c_str(),
                    pr.slots == 0 ? "all" : std::to_string(pr.slots).c_str());
    }
    std::printf("head:        %s, %u classes; %llu nodes in all\n", g.head.population.c_str(), g.head.classes,
                static_cast<unsigned long long>(nodes));
}

struct genome_options {
    std::string file;
    std::vector<std::string> overrides;
    void add_to(CLI::App& cmd) {
        cmd.add_option("genome", file, "genome file: YAML, or the A/C/G/T text form")->required();
        cmd.add_option("--set", overrides, "override one YAML setting, e.g. --set populations[0].k=5 (repeatable)")
            ->type_name("PATH=VALUE");
    }
};

int cmd_genome_show(const genome_options& opt) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    print_genome_summary(g);
    std::printf("text:\n%s\n\nyaml:\n%s", topology::wrap_text(topology::to_text(g)).c_str(), to_yaml(g).c_str());
    return 0;
}

struct develop_cli {
    std::uint64_t seed = 1;
    unsigned threads = 1;
    std::string graphml;
    std::string dot;
};

int cmd_genome_develop(const genome_options& opt, const develop_cli& dev) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    check_memory(estimate_memory(g, dev.threads), {opt.file, opt.overrides, {}}, "developing the genome");
    const auto start = std::chrono::steady_clock::now();
    const topology::developed_graph d = topology::develop(g, dev.seed, {.threads = dev.threads});
    const topology::compiled_network c = topology::compile(g, d);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& w : d.warnings) spdlog::warn("{}", w);
    const topology::graph_statistics s = topology::statistics(g, d);
    std::printf("hash:        %s (seed %llu)\n", topology::hash_hex(d.hash).c_str(),
                static_cast<unsigned long long>(dev.seed));
    std::printf("graph:       %u input bits, %u nodes, %llu edges (%llu delayed)\n", d.num_inputs, d.num_nodes(),
                static_cast<unsigned long long>(s.edges), static_cast<unsigned long long>(s.delayed_edges));
    std::printf("depth:       %u levels without delay\n", s.depth);
    std::printf("fan-in:      %s\n", histogram_text(s.fan_in).c_str());
    std::printf("fan-out:     %s\n", histogram_text(s.fan_out).c_str());
    std::printf("input reads: %s\n", histogram_text(s.input_fan_out).c_str());
    std::printf("coverage:    %u of %u input bits read (%.1f%%); %u dead nodes\n", s.inputs_read, d.num_inputs,
                s.input_coverage * 100, s.dead_nodes);
    std::printf("network:     %u nodes, %s, developed and compiled in %s\n", c.net.num_nodes(),
                c.net.combinational() ? "combinational" : "sequential (delayed slots)",
                format_duration(seconds).c_str());
    // Each file appears whole or not at all (core/publish.hpp).
    auto write = [&](const std::string& path, auto writer, const char* what) {
        if (path.empty()) return;
        std::ostringstream out;
        writer(out, g, d);
        core::publish_file(path, std::move(out).str());
        spdlog::info("wrote {} to {}", what, path);
    };
    write(dev.graphml, topology::write_graphml, "GraphML");
    write(dev.dot, topology::write_dot, "DOT");
    return 0;
}

int cmd_genome_encode(const genome_options& opt) {
    std::printf("%s\n", topology::wrap_text(topology::to_text(load_genome(opt.file, opt.overrides))).c_str());
    return 0;
}

int cmd_genome_decode(const genome_options& opt) {
    std::cout << to_yaml(load_genome(opt.file, opt.overrides));
    return 0;
}

struct mutate_cli {
    std::uint64_t seed = 1;
    std::string op = "any";
    std::string with;
    bool text = false;
};

int cmd_genome_mutate(const genome_options& opt, const mutate_cli& m) {
    const topology::genome g = load_genome(opt.file, opt.overrides);
    topology::evolution_result r;
    if (m.op == "crossover") {
        if (m.with.empty()) throw error("genome mutate --op crossover needs --with OTHER_GENOME");
        r = topology::crossover(g, load_genome(m.with, {}), m.seed);
    } else if (m.op == "point") {
        r = topology::mutate_point(g, m.seed);
    } else if (m.op == "duplicate") {
        r = topology::duplicate_gene(g, m.seed);
    } else if (m.op == "delete") {
        r = topology::delete_gene(g, m.seed);
    } else {
        r = topology::mutate(g, m.seed);
    }
    if (!r.child) throw error("genome mutate: no valid child: " + r.reason);
    spdlog::info("{}", r.change);
    if (m.text)
        std::printf("%s\n", topology::wrap_text(topology::to_text(*r.child)).c_str());
    else
        std::cout << to_yaml(*r.child);
    return 0;
}

}  // namespace

void add_genome_commands(CLI::App& app, command_table& table) {
    auto* genome_cmd = app.add_subcommand("genome", "show, develop, encode, decode and mutate genomes");
    genome_cmd->require_subcommand(1);

    auto* genome_show = genome_cmd->add_subcommand("show", "summary, text form and resolved YAML of a genome");
    auto show = std::make_shared<genome_options>();
    show->add_to(*genome_show);
    table.add(*genome_show, [show] { return cmd_genome_show(*show); });

    auto* genome_develop =
        genome_cmd->add_subcommand("develop", "grow the wiring graph: statistics, hash, GraphML/DOT");
    auto develop = std::make_shared<genome_options>();
    develop->add_to(*genome_develop);
    auto dev = std::make_shared<develop_cli>();
    genome_develop->add_option("--seed", dev->seed, "seed of the wiring and the initial tables")->capture_default_str();
    genome_develop->add_option("--threads", dev->threads, "threads wiring nodes (the result does not depend on it)")
        ->capture_default_str();
    genome_develop->add_option("--graphml", dev->graphml, "write the graph as GraphML to this file");
    genome_develop->add_option("--dot", dev->dot, "write the graph as Graphviz DOT to this file");
    table.add(*genome_develop, [develop, dev] { return cmd_genome_develop(*develop, *dev); });

    auto* genome_encode = genome_cmd->add_subcommand("encode", "print the A/C/G/T text form of a genome");
    auto encode = std::make_shared<genome_options>();
    encode->add_to(*genome_encode);
    table.add(*genome_encode, [encode] { return cmd_genome_encode(*encode); });

    auto* genome_decode = genome_cmd->add_subcommand("decode", "print a genome (e.g. a text form) as YAML");
    auto decode = std::make_shared<genome_options>();
    decode->add_to(*genome_decode);
    table.add(*genome_decode, [decode] { return cmd_genome_decode(*decode); });

    auto* genome_mutate = genome_cmd->add_subcommand("mutate", "apply an evolution operator and print the child");
    auto mutate = std::make_shared<genome_options>();
    mutate->add_to(*genome_mutate);
    auto mut = std::make_shared<mutate_cli>();
    genome_mutate->add_option("--seed", mut->seed, "seed of the operator's choices")->capture_default_str();
    genome_mutate->add_option("--op", mut->op, "point, duplicate, delete, crossover, or any of the first three")
        ->check(CLI::IsMember({"any", "point", "duplicate", "delete", "crossover"}))
        ->capture_default_str();
    genome_mutate->add_option("--with", mut->with, "the second parent, for --op crossover");
    genome_mutate->add_flag("--text", mut->text, "print the child's A/C/G/T text form instead of YAML");
    table.add(*genome_mutate, [mutate, mut] { return cmd_genome_mutate(*mutate, *mut); });
}

}  // namespace lutra::experiments::commands
