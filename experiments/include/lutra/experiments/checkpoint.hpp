#pragma once
// The training checkpoint, DIR/checkpoint (format in docs/run-file.md): the
// session's state after the last finished epoch — the network and each rule's
// named state — from which `lutra run --resume DIR` continues a killed run
// exactly.
//
// It is a file of its own rather than part of run.h5 because an HDF5 file
// killed in the middle of a metadata write can be left unreadable: the
// checkpoint is published as every Lutra file is (core/publish.hpp: a
// temporary file, synced, renamed over the previous one), so a kill or a full
// disk at any moment leaves the previous checkpoint or the new one, whole. A CRC-32 catches any other damage.

#include <cstdint>
#include <filesystem>

#include "lutra/plasticity/session.hpp"

namespace lutra::experiments {

// The checkpoint's version field: what this Lutra writes and the newest it reads.
// Version 1 (Lutra 0.1) held the gradient trainer's arrays only; it is
// refused with a message, since a checkpoint lives only as long as its run.
inline constexpr std::uint32_t checkpoint_format_version = 2;

struct checkpoint {
    std::uint64_t genome_hash = 0;  // the developed graph's hash, to refuse another network's state
    plasticity::session_state state;
    friend bool operator==(const checkpoint&, const checkpoint&) = default;
};

// Writes atomically (see the file comment); throws lutra::io_error naming the file.
void write_checkpoint(const std::filesystem::path& path, const checkpoint& c);
// Checks magic, version, sizes and CRC before anything is used.
[[nodiscard]] checkpoint read_checkpoint(const std::filesystem::path& path);

}  // namespace lutra::experiments
