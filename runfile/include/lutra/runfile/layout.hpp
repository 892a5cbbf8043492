#pragma once
// The layout of run.h5 (DESIGN §7), written once: every group, dataset and
// attribute with its stored type and rank, the /metrics row, and the
// format's name and version. The writer (run_file) and the reader
// (run_reader) name objects only through this file; docs/run-file.md
// explains each one, and a test checks that it documents every path of
// `all` and nothing else.
//
// Paths are absolute. An attribute's path is its owner's path, "/@" and its
// name ("/@format" for the root's). "<population>" stands for a population's
// name; path_for() fills it in. Types are named in the words of
// docs/run-file.md (to_string); the library stores them as HDF5's
// little-endian types, and no HDF5 type appears here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lutra::runfile::layout {

inline constexpr std::string_view file_name = "run.h5";       // in a run directory
inline constexpr std::string_view format_name = "lutra-run";  // the value of /@format
// The /@format_version this library writes, and the newest it reads. It
// changes when a reader of the previous version would misread a file
// (docs/run-file.md, Versions).
inline constexpr std::uint32_t format_version = 2;
inline constexpr std::size_t split_bytes = 16;  // /metrics split: fixed-length, NUL-padded ASCII

// A stored element type.
enum class dtype : std::uint8_t {
    none,          // groups have none
    uint8,         // H5T_STD_U8LE
    uint16,        // H5T_STD_U16LE
    uint32,        // H5T_STD_U32LE
    uint64,        // H5T_STD_U64LE
    float32,       // H5T_IEEE_F32LE
    float64,       // H5T_IEEE_F64LE
    string,        // UTF-8, NUL-padded to its own length (format_version 1: variable-length)
    fixed_string,  // split_bytes bytes, NUL-padded ASCII
    compound,      // a row of named members (metrics_members)
    enumeration,   // named values over uint8 (sorting_names: SONATA's spike sorting)
};

// "uint8", "float64", "string", "string(16)", "compound"; "" for none: the
// words of docs/run-file.md and of the reader's errors.
[[nodiscard]] std::string to_string(dtype t);

// The dtype a C++ element type is stored as; dtype::none for types that are not stored.
template <class T>
inline constexpr dtype dtype_of = dtype::none;
template <>
inline constexpr dtype dtype_of<std::uint8_t> = dtype::uint8;
template <>
inline constexpr dtype dtype_of<std::uint16_t> = dtype::uint16;
template <>
inline constexpr dtype dtype_of<std::uint32_t> = dtype::uint32;
template <>
inline constexpr dtype dtype_of<std::uint64_t> = dtype::uint64;
template <>
inline constexpr dtype dtype_of<float> = dtype::float32;
template <>
inline constexpr dtype dtype_of<double> = dtype::float64;
template <>
inline constexpr dtype dtype_of<std::string> = dtype::string;

// How a population's spikes are ordered (SONATA's `sorting` attribute):
// by_time sorts by timestamp (ties in any order), by_id by node id and then
// timestamp, none not at all. Stored as an HDF5 enum over uint8 whose
// members are sorting_names, each with its value here (libsonata's
// SpikeReader and the files its tests write with h5py.enum_dtype use the
// same names and values).
enum class spike_sorting : std::uint8_t { none = 0, by_id = 1, by_time = 2 };
inline constexpr std::array<std::string_view, 3> sorting_names{"none", "by_id", "by_time"};  // by value
template <>
inline constexpr dtype dtype_of<spike_sorting> = dtype::enumeration;

enum class kind : std::uint8_t { group, dataset, attribute };

// Stand for a population's name, a plasticity rule's name and one of the
// rule's quantities in a path.
inline constexpr std::string_view population_placeholder = "<population>";
inline constexpr std::string_view rule_placeholder = "<rule>";
inline constexpr std::string_view quantity_placeholder = "<quantity>";

// One object of the layout.
struct object {
    std::string_view path;                    // absolute, as above
    layout::kind kind = layout::kind::group;  // what it is
    dtype type = dtype::none;                 // of a dataset's elements or an attribute's value
    int rank = 0;                             // a dataset's dimensions (0 = scalar); attributes are scalars

    // The last component without "@": "k" for /network/k, "num_inputs" for /network/@num_inputs.
    [[nodiscard]] constexpr std::string_view name() const { return path.substr(path.find_last_of("/@") + 1); }
    // The group holding it: "/network" for /network/k and /network/@num_inputs; "/" for /config and /@format.
    [[nodiscard]] constexpr std::string_view owner() const {
        const std::size_t end = kind == layout::kind::attribute ? path.rfind("/@") : path.rfind('/');
        return end == 0 ? std::string_view("/") : path.substr(0, end);
    }
    // The path with "<population>", "<rule>" and "<quantity>" replaced by
    // the names given; paths without them are returned as they are.
    [[nodiscard]] std::string path_for(std::string_view population, std::string_view rule = {},
                                       std::string_view quantity = {}) const;
};

// Objects that carry their C++ element type, so the writer and the reader
// cannot store or expect another.
template <class T>
struct attribute : object {
    static_assert(dtype_of<T> != dtype::none, "no stored type for this C++ type");
    using element = T;
    constexpr explicit attribute(std::string_view p) : object{p, layout::kind::attribute, dtype_of<T>, 0} {}
};

template <class T>
struct dataset : object {
    static_assert(dtype_of<T> != dtype::none, "no stored type for this C++ type");
    using element = T;
    constexpr explicit dataset(std::string_view p, int r = 1) : object{p, layout::kind::dataset, dtype_of<T>, r} {}
};

struct group : object {
    constexpr explicit group(std::string_view p) : object{p, layout::kind::group, dtype::none, 0} {}
};

// --- the root ---------------------------------------------------------------

inline constexpr attribute<std::string> root_format{"/@format"};  // format_name
inline constexpr attribute<std::uint32_t> root_format_version{"/@format_version"};
inline constexpr attribute<std::string> root_lutra_version{"/@lutra_version"};
inline constexpr attribute<std::uint64_t> root_seed{"/@seed"};
inline constexpr attribute<std::string> root_genome_hash{"/@genome_hash"};
// 1 once the run finished: written last, after /network (format_version 2;
// a version-1 file counts as finished when it has /network). It travels with
// the file, so a run.h5 copied out of its run directory is still known whole.
inline constexpr attribute<std::uint32_t> root_finished{"/@finished"};
// Texts at the root (run_file::write_text stores others the same way).
// One string each, [1] (a scalar in format_version 1).
inline constexpr dataset<std::string> config{"/config"};  // the resolved YAML
inline constexpr dataset<std::string> genome{"/genome"};  // the genome's A/C/G/T form

// --- /network: enough to rebuild core::network exactly ------------------------

inline constexpr group network{"/network"};
inline constexpr attribute<std::uint32_t> network_num_inputs{"/network/@num_inputs"};
inline constexpr dataset<std::uint8_t> network_k{"/network/k"};
inline constexpr dataset<std::uint32_t> network_sources{"/network/sources"};
inline constexpr dataset<std::uint32_t> network_delays{"/network/delays"};
inline constexpr dataset<std::uint64_t> network_tables{"/network/tables"};
inline constexpr dataset<std::uint32_t> network_level{"/network/level"};
inline constexpr group network_head{"/network/head"};
inline constexpr attribute<std::uint32_t> network_head_num_classes{"/network/head/@num_classes"};
inline constexpr dataset<std::uint32_t> network_head_outputs{"/network/head/outputs"};
inline constexpr group network_populations{"/network/populations"};  // tracks creation (gene) order
inline constexpr dataset<std::uint32_t> network_population{"/network/populations/<population>"};

// --- /encoder: the fitted encoder ----------------------------------------------

inline constexpr group encoder{"/encoder"};
inline constexpr attribute<std::string> encoder_kind{"/encoder/@kind"};
inline constexpr attribute<std::uint32_t> encoder_num_features{"/encoder/@num_features"};
inline constexpr attribute<std::uint32_t> encoder_bits_per_feature{"/encoder/@bits_per_feature"};
inline constexpr attribute<std::uint32_t> encoder_width{"/encoder/@width"};
inline constexpr attribute<std::uint32_t> encoder_height{"/encoder/@height"};
inline constexpr attribute<std::uint32_t> encoder_channels{"/encoder/@channels"};
inline constexpr dataset<std::uint32_t> encoder_feature{"/encoder/feature"};
inline constexpr dataset<std::uint16_t> encoder_x{"/encoder/x"};
inline constexpr dataset<std::uint16_t> encoder_y{"/encoder/y"};
inline constexpr dataset<std::uint16_t> encoder_channel{"/encoder/channel"};
inline constexpr dataset<std::uint16_t> encoder_bit{"/encoder/bit"};
inline constexpr dataset<std::uint8_t> encoder_threshold{"/encoder/threshold"};

// --- /metrics: one row per epoch and split ---------------------------------------

inline constexpr object metrics{"/metrics", kind::dataset, dtype::compound, 1};

// A member of the /metrics row as stored: packed, little-endian.
struct member {
    std::string_view name;
    dtype type;
    std::size_t offset;  // bytes from the start of the row
};
inline constexpr std::array<member, 5> metrics_members{{
    {"epoch", dtype::uint32, 0},
    {"split", dtype::fixed_string, 4},
    {"loss", dtype::float64, 4 + split_bytes},
    {"accuracy", dtype::float64, 12 + split_bytes},
    {"seconds", dtype::float64, 20 + split_bytes},
}};
inline constexpr std::size_t metrics_row_bytes = 28 + split_bytes;  // 44

// --- /stats: per-node statistics, one row per recorded epoch ---------------------

inline constexpr group stats{"/stats"};  // tracks creation order
inline constexpr attribute<std::uint64_t> stats_samples{"/stats/@samples"};
inline constexpr attribute<std::string> stats_split{"/stats/@split"};
inline constexpr dataset<std::uint32_t> stats_epoch{"/stats/epoch"};  // written last: rows it names are whole
inline constexpr group stats_population{"/stats/<population>"};
inline constexpr dataset<std::uint32_t> stats_nodes{"/stats/<population>/nodes"};
inline constexpr dataset<float> stats_activation_rate{"/stats/<population>/activation_rate", 2};
inline constexpr dataset<float> stats_entropy{"/stats/<population>/entropy", 2};
inline constexpr dataset<std::uint32_t> stats_flips{"/stats/<population>/flips", 2};
inline constexpr dataset<float> stats_sensitivity{"/stats/<population>/sensitivity", 2};  // optional
inline constexpr dataset<float> stats_grad_abs_mean{"/stats/<population>/grad_abs_mean", 2};
inline constexpr dataset<std::uint32_t> stats_entry_usage{"/stats/<population>/entry_usage", 3};  // optional

// A plasticity rule's per-node summary (plasticity::rule::summarize) of the
// population, for the recorded epochs of the phases it was active in: its
// own row index, written after the rows it names, and one [R × P] dataset
// per quantity, in the order the rule gives them. Optional.
inline constexpr group stats_rules{"/stats/<population>/rules"};        // tracks creation order
inline constexpr group stats_rule{"/stats/<population>/rules/<rule>"};  // tracks creation order
inline constexpr dataset<std::uint32_t> stats_rule_epoch{"/stats/<population>/rules/<rule>/epoch"};
inline constexpr dataset<float> stats_rule_quantity{"/stats/<population>/rules/<rule>/<quantity>", 2};

// A population's datasets with one row per recorded epoch.
inline constexpr std::array<object, 6> stats_rows{stats_activation_rate, stats_entropy,     stats_flips,
                                                  stats_grad_abs_mean,   stats_sensitivity, stats_entry_usage};

// --- /spikes: each population's spikes, SONATA's spike-file layout -----------------
//
// A spike of a node is a rising edge of its output (0 at tick t − 1, 1 at
// tick t; before tick 0 counts as 0) in one recorded stream, at time
// t · tick_ms (/activity/<population>/@tick_ms). Node ids are indices into
// the population (SONATA's node ids are per population): node_ids[i] = j is
// the population's node j, network node /network/populations/<population>[j].

inline constexpr group spikes{"/spikes"};                         // tracks creation order
inline constexpr group spikes_population{"/spikes/<population>"};  // one population's spikes
inline constexpr attribute<spike_sorting> spikes_sorting{"/spikes/<population>/@sorting"};  // Lutra writes by_time
inline constexpr dataset<double> spikes_timestamps{"/spikes/<population>/timestamps"};
inline constexpr attribute<std::string> spikes_timestamps_units{"/spikes/<population>/timestamps/@units"};
inline constexpr std::string_view spike_units = "ms";  // the one unit of timestamps
inline constexpr dataset<std::uint64_t> spikes_node_ids{"/spikes/<population>/node_ids"};

// --- /activity: each population's output changes over a timed run ---------------

inline constexpr group activity{"/activity"};  // tracks creation order
inline constexpr group activity_population{"/activity/<population>"};
inline constexpr attribute<std::uint64_t> activity_ticks{"/activity/<population>/@ticks"};
inline constexpr attribute<std::uint64_t> activity_streams{"/activity/<population>/@streams"};
inline constexpr attribute<double> activity_tick_ms{"/activity/<population>/@tick_ms"};
inline constexpr attribute<std::string> activity_engine{"/activity/<population>/@engine"};
inline constexpr dataset<std::uint64_t> activity_toggles{"/activity/<population>/toggles"};

// --- everything, in the order of docs/run-file.md --------------------------------

inline constexpr std::array all{
    object{root_format},
    object{root_format_version},
    object{root_lutra_version},
    object{root_seed},
    object{root_genome_hash},
    object{root_finished},
    object{config},
    object{genome},
    object{network},
    object{network_num_inputs},
    object{network_k},
    object{network_sources},
    object{network_delays},
    object{network_tables},
    object{network_level},
    object{network_head},
    object{network_head_num_classes},
    object{network_head_outputs},
    object{network_populations},
    object{network_population},
    object{encoder},
    object{encoder_kind},
    object{encoder_num_features},
    object{encoder_bits_per_feature},
    object{encoder_width},
    object{encoder_height},
    object{encoder_channels},
    object{encoder_feature},
    object{encoder_x},
    object{encoder_y},
    object{encoder_channel},
    object{encoder_bit},
    object{encoder_threshold},
    metrics,
    object{stats},
    object{stats_samples},
    object{stats_split},
    object{stats_epoch},
    object{stats_population},
    object{stats_nodes},
    object{stats_activation_rate},
    object{stats_entropy},
    object{stats_flips},
    object{stats_sensitivity},
    object{stats_grad_abs_mean},
    object{stats_entry_usage},
    object{stats_rules},
    object{stats_rule},
    object{stats_rule_epoch},
    object{stats_rule_quantity},
    object{spikes},
    object{spikes_population},
    object{spikes_sorting},
    object{spikes_timestamps},
    object{spikes_timestamps_units},
    object{spikes_node_ids},
    object{activity},
    object{activity_population},
    object{activity_ticks},
    object{activity_streams},
    object{activity_tick_ms},
    object{activity_engine},
    object{activity_toggles},
};

}  // namespace lutra::runfile::layout
