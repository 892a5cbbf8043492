#pragma once
// Errors of Lutra. Every error a user can cause derives from lutra::error and
// carries its context as fields, so callers can react and messages stay exact.
// Bugs in Lutra itself are lutra::internal_error. Thrown during setup and I/O,
// never inside hot loops; library code never calls exit().

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace lutra {

struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A violated invariant inside Lutra: a bug, not bad input.
struct internal_error : std::logic_error {
    using std::logic_error::logic_error;
};

// Reading or writing a file failed, or its content is malformed.
struct io_error : error {
    io_error(std::string file, std::string operation, const std::string& detail)
        : error(file + ": " + operation + ": " + detail), file(std::move(file)), operation(std::move(operation)) {}
    std::string file;       // the path as given
    std::string operation;  // what was being done, e.g. "read IDX header"
};

// Explicit network arrays that do not describe a valid network.
struct network_error : error {
    static constexpr std::uint32_t no_node = UINT32_MAX;
    network_error(std::uint32_t node, const std::string& detail)
        : error(node == no_node ? "invalid network: " + detail
                                : "invalid network: node " + std::to_string(node) + ": " + detail),
          node(node) {}
    std::uint32_t node;  // the offending node, or no_node for whole-network problems
};

// A name that is not in a registry (dataset, encoder, rule, ...).
struct unknown_name_error : error {
    unknown_name_error(std::string kind, std::string name, const std::string& detail)
        : error(detail), kind(std::move(kind)), name(std::move(name)) {}
    std::string kind;  // e.g. "dataset"
    std::string name;  // what was asked for
};

}  // namespace lutra
