// The run file's layout (runfile/include/lutra/runfile/layout.hpp), written
// once, against itself and against docs/run-file.md: every object of the
// layout has a row in the page's tables with the same type and rank, every
// such row names an object of the layout, and the /metrics members sit where
// both say.
#include <doctest/doctest.h>

#include <cstddef>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/runfile/layout.hpp"

namespace layout = lutra::runfile::layout;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string trim(std::string_view text) {
    const std::size_t first = text.find_first_not_of(' ');
    if (first == std::string_view::npos) return {};
    return std::string(text.substr(first, text.find_last_not_of(' ') - first + 1));
}

// A row of one of the page's path tables: | `path` | shape | type | unit | meaning |.
struct doc_row {
    std::string shape;  // "group", "scalar", "[N]", "[E × P]", ...
    std::string type;   // "uint32", "string", "—" for groups
};

// The rows whose first cell is a path in backticks, by path.
std::map<std::string, doc_row> path_rows(const std::string& text) {
    std::map<std::string, doc_row> rows;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("| `/")) continue;
        std::vector<std::string> cells;
        for (std::size_t at = 1; at < line.size();) {
            const std::size_t end = line.find('|', at);
            if (end == std::string::npos) break;
            cells.push_back(trim(std::string_view(line).substr(at, end - at)));
            at = end + 1;
        }
        REQUIRE(cells.size() >= 3);
        const std::string path = cells[0].substr(1, cells[0].size() - 2);  // without the backticks
        CAPTURE(path);
        CHECK(rows.count(path) == 0);  // documented once
        rows[path] = {cells[1], cells[2]};
    }
    return rows;
}

// "scalar" → 0, "[N]" → 1, "[E × P]" → 2, ...
int rank_of(const std::string& shape) {
    if (shape == "scalar") return 0;
    int rank = 1;
    for (std::size_t at = shape.find(" × "); at != std::string::npos; at = shape.find(" × ", at + 1)) ++rank;
    return rank;
}

std::size_t size_of(layout::dtype t) {
    switch (t) {
        case layout::dtype::uint32:
            return 4;
        case layout::dtype::float64:
            return 8;
        case layout::dtype::fixed_string:
            return layout::split_bytes;
        default:
            FAIL("no /metrics member has type " << layout::to_string(t));
            return 0;
    }
}

}  // namespace

TEST_CASE("layout: names, owners, populations and types") {
    CHECK(layout::network_k.name() == "k");
    CHECK(layout::network_k.owner() == "/network");
    CHECK(layout::network_num_inputs.name() == "num_inputs");
    CHECK(layout::network_num_inputs.owner() == "/network");
    CHECK(layout::network_head_num_classes.owner() == "/network/head");
    CHECK(layout::root_format.name() == "format");
    CHECK(layout::root_format.owner() == "/");
    CHECK(layout::config.name() == "config");
    CHECK(layout::config.owner() == "/");
    CHECK(layout::network.owner() == "/");
    CHECK(layout::stats_entropy.path_for("hidden") == "/stats/hidden/entropy");
    CHECK(layout::network_population.path_for("Schicht-ä") == "/network/populations/Schicht-ä");
    CHECK(layout::network_k.path_for("hidden") == "/network/k");
    CHECK(layout::to_string(layout::dtype::uint8) == "uint8");
    CHECK(layout::to_string(layout::dtype::float32) == "float32");
    CHECK(layout::to_string(layout::dtype::fixed_string) == "string(16)");
    CHECK(layout::to_string(layout::dtype::none).empty());

    std::set<std::string_view> paths;
    for (const layout::object& o : layout::all) {
        CAPTURE(o.path);
        CHECK(paths.insert(o.path).second);
        CHECK(o.path.starts_with("/"));
        CHECK((o.kind == layout::kind::group) == (o.type == layout::dtype::none));
        if (o.kind != layout::kind::dataset) CHECK(o.rank == 0);
    }
    // Every object sits in a group of the layout (or the root).
    for (const layout::object& o : layout::all) {
        CAPTURE(o.path);
        CHECK((o.owner() == "/" || paths.count(o.owner()) == 1));
    }
    // The per-epoch datasets are the population's datasets of the layout, [E × P (× ...)].
    for (const layout::object& o : layout::stats_rows) {
        CAPTURE(o.path);
        CHECK(paths.count(o.path) == 1);
        CHECK(o.owner() == layout::stats_population.path);
        CHECK(o.rank >= 2);
    }
    // The /metrics row is packed: each member right after the one before.
    std::size_t offset = 0;
    for (const layout::member& m : layout::metrics_members) {
        CAPTURE(m.name);
        CHECK(m.offset == offset);
        offset += size_of(m.type);
    }
    CHECK(offset == layout::metrics_row_bytes);
}

TEST_CASE("layout: docs/run-file.md documents every path with its type and rank, and no other path") {
    const std::string text = slurp(LUTRA_DOCS_DIR "/run-file.md");
    const std::map<std::string, doc_row> rows = path_rows(text);
    std::set<std::string> paths;
    for (const layout::object& o : layout::all) {
        const std::string path(o.path);
        CAPTURE(path);
        paths.insert(path);
        if (o.type == layout::dtype::compound) {  // /metrics: documented by its member table
            CHECK(text.find("`" + path + "`") != std::string::npos);
            continue;
        }
        const auto row = rows.find(path);
        if (row == rows.end()) {
            FAIL_CHECK("no row of docs/run-file.md documents this path");
            continue;
        }
        if (o.kind == layout::kind::group) {
            CHECK(row->second.shape == "group");
        } else {
            CHECK(row->second.type == layout::to_string(o.type));
            CHECK(rank_of(row->second.shape) == o.rank);
        }
    }
    for (const auto& entry : rows) {
        const std::string& path = entry.first;  // CAPTURE's lambda cannot name a structured binding (clang 14)
        CAPTURE(path);
        CHECK(paths.count(path) == 1);
    }
    for (const layout::member& m : layout::metrics_members) {
        CAPTURE(m.name);
        CHECK(text.find("| `" + std::string(m.name) + "` | " + std::to_string(m.offset) + " |") != std::string::npos);
    }
    CHECK(text.find("compound of " + std::to_string(layout::metrics_row_bytes) + " bytes") != std::string::npos);
    CHECK(text.find("always `" + std::string(layout::format_name) + "`") != std::string::npos);
    CHECK(text.find("`/@format_version` is " + std::to_string(layout::format_version) + ".") != std::string::npos);
}
