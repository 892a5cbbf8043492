// /spikes (SONATA's spike-file layout) and /activity in run.h5: round trips,
// the layout as a reader without Lutra sees it (raw HDF5 C API), what the
// writer refuses, and foreign or inconsistent content the reader refuses.
#include <doctest/doctest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/runfile/run_file.hpp"
#include "support/spike_trace.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::runfile;

namespace {

// 4 inputs → 6 nodes of k = 2: "hidden" 0..3 and "out" 4..5 (a head of 2 classes).
core::network tiny_network() {
    core::network_arrays a;
    a.num_inputs = 4;
    for (std::uint32_t n = 0; n < 6; ++n) {
        a.k.push_back(2);
        a.sources.insert(a.sources.end(), {n % 4, (n + 1) % 4});
        a.delays.insert(a.delays.end(), {0, 0});
        a.tables.push_back(0b0110);
    }
    a.head.num_classes = 2;
    a.head.outputs = {4, 5};
    return core::network(std::move(a));
}

const std::vector<core::population> tiny_populations{{"hidden", {0, 1, 2, 3}}, {"out", {4, 5}}};

run_file tiny_run(const fs::path& path, bool network = true) {
    run_file f = run_file::create(path, {.lutra_version = "0.1.0", .seed = 3, .genome_hash = ""});
    if (network) f.write_network(tiny_network(), tiny_populations);
    return f;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

// A population's activity, built field by field.
population_activity activity_of(const std::string& population, std::uint64_t ticks, std::uint64_t streams,
                                double tick_ms, const std::string& engine, std::vector<std::uint64_t> toggles) {
    population_activity a;
    a.population = population;
    a.recording.ticks = ticks;
    a.recording.streams = streams;
    a.recording.tick_ms = tick_ms;
    a.recording.engine = engine;
    a.toggles = std::move(toggles);
    return a;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// An HDF5 id for the test's own raw access, closed at scope end.
struct h5 {
    hid_t id;
    herr_t (*close)(hid_t);
    h5(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) { REQUIRE(id >= 0); }
    h5(const h5&) = delete;
    h5& operator=(const h5&) = delete;
    ~h5() { close(id); }
};

template <class T>
void raw_dataset(hid_t parent, const char* name, hid_t file_type, hid_t memory_type, const std::vector<T>& values) {
    const hsize_t size = values.size();
    const h5 space(H5Screate_simple(1, &size, nullptr), H5Sclose);
    // Chunked with Fletcher-32, as format_version 2 requires of every dataset holding data.
    const h5 dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (size > 0) {
        H5Pset_chunk(dcpl.id, 1, &size);
        H5Pset_fletcher32(dcpl.id);
    }
    const h5 d(H5Dcreate2(parent, name, file_type, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT), H5Dclose);
    if (!values.empty()) REQUIRE(H5Dwrite(d.id, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
}

void raw_string_attribute(hid_t owner, const char* name, const std::string& value) {
    const h5 type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.id, value.size());
    const h5 space(H5Screate(H5S_SCALAR), H5Sclose);
    const h5 a(H5Acreate2(owner, name, type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    REQUIRE(H5Awrite(a.id, type.id, value.data()) >= 0);
}

// A sorting enum with the given member names (values 0, 1, 2, ...), set to `value`.
void raw_sorting(hid_t owner, const std::vector<std::string>& names, std::uint8_t value) {
    const h5 type(H5Tenum_create(H5T_STD_U8LE), H5Tclose);
    for (std::size_t v = 0; v < names.size(); ++v) {
        const auto x = static_cast<std::uint8_t>(v);
        H5Tenum_insert(type.id, names[v].c_str(), &x);
    }
    const h5 space(H5Screate(H5S_SCALAR), H5Sclose);
    const h5 a(H5Acreate2(owner, "sorting", type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    REQUIRE(H5Awrite(a.id, type.id, &value) >= 0);
}

// Another writer's /spikes/hidden in a Lutra file.
struct foreign_spikes {
    std::vector<std::uint64_t> ids{0, 1, 3};
    std::vector<double> times{0.0, 1.0, 2.0};
    hid_t id_type = H5T_STD_U64LE;
    std::string units = "ms";
    std::vector<std::string> sorting_names{"none", "by_id", "by_time"};
    std::uint8_t sorting = 2;
    bool with_sorting = true;
};

void write_foreign(const fs::path& path, const foreign_spikes& o) {
    { run_file f = tiny_run(path); }
    const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    const h5 spikes(H5Gcreate2(file.id, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    const h5 hidden(H5Gcreate2(spikes.id, "hidden", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (o.with_sorting) raw_sorting(hidden.id, o.sorting_names, o.sorting);
    raw_dataset(hidden.id, "timestamps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, o.times);
    {
        const h5 ts(H5Dopen2(hidden.id, "timestamps", H5P_DEFAULT), H5Dclose);
        raw_string_attribute(ts.id, "units", o.units);
    }
    raw_dataset(hidden.id, "node_ids", o.id_type, H5T_NATIVE_UINT64, o.ids);
}

}  // namespace

TEST_CASE("spikes: spikes and activity round-trip per population, with SONATA's layout") {
    const lutra::test::temp_dir dir("lutra-test-spikes");
    const fs::path path = dir.path / "run.h5";
    const lutra::test::spike_trace hidden = lutra::test::make_spike_trace("hidden", 4, 50, 3, 0.25, 0.4, 1);
    const lutra::test::spike_trace out = lutra::test::make_spike_trace("out", 2, 50, 3, 0.25, 0.4, 2);
    REQUIRE(hidden.node_ids.size() > 10);
    {
        run_file f = tiny_run(path);
        CHECK(f.spike_populations().empty());
        CHECK(f.activity_populations().empty());
        // "out" first: populations are listed in the order written.
        f.write_activity(out.activity);
        f.write_spikes("out", out.node_ids, out.timestamps_ms);
        f.write_spikes("hidden", hidden.node_ids, hidden.timestamps_ms);
        f.write_activity(hidden.activity);
        f.mark_finished();
    }
    const run_reader r(path);
    CHECK(r.spike_populations() == std::vector<std::string>{"out", "hidden"});
    CHECK(r.activity_populations() == std::vector<std::string>{"out", "hidden"});
    const spike_data s = r.spikes("hidden");
    CHECK(s.population == "hidden");
    CHECK(s.sorting == layout::spike_sorting::by_time);
    CHECK(s.node_ids == hidden.node_ids);
    CHECK(s.timestamps_ms == hidden.timestamps_ms);
    CHECK(r.activity("hidden") == hidden.activity);
    CHECK(r.activity("out") == out.activity);
    CHECK_NOTHROW(r.verify());
    // Each spike is a toggle of stream 0.
    std::vector<std::uint64_t> per_node(4, 0);
    for (const std::uint64_t id : s.node_ids) ++per_node[id];
    for (std::size_t i = 0; i < 4; ++i) CHECK(per_node[i] <= hidden.activity.toggles[i]);

    // As a reader without Lutra sees it: SONATA's names and types, checksummed.
    const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    const h5 group(H5Gopen2(file.id, "/spikes/hidden", H5P_DEFAULT), H5Gclose);
    {
        const h5 a(H5Aopen(group.id, "sorting", H5P_DEFAULT), H5Aclose);
        const h5 type(H5Aget_type(a.id), H5Tclose);
        REQUIRE(H5Tget_class(type.id) == H5T_ENUM);
        const h5 base(H5Tget_super(type.id), H5Tclose);
        CHECK(H5Tequal(base.id, H5T_STD_U8LE) > 0);
        CHECK(H5Tget_nmembers(type.id) == 3);
        std::uint8_t value = 0;
        REQUIRE(H5Aread(a.id, H5T_NATIVE_UINT8, &value) >= 0);
        char name[16] = {};
        REQUIRE(H5Tenum_nameof(type.id, &value, name, sizeof name) >= 0);
        CHECK(std::string(name) == "by_time");
        CHECK(value == 2);
    }
    for (const auto& dataset : {std::pair{"timestamps", H5T_IEEE_F64LE}, std::pair{"node_ids", H5T_STD_U64LE}}) {
        const char* name = dataset.first;  // CAPTURE's lambda cannot name a structured binding (clang 14)
        const hid_t type = dataset.second;
        CAPTURE(name);
        const h5 d(H5Dopen2(group.id, name, H5P_DEFAULT), H5Dclose);
        const h5 stored(H5Dget_type(d.id), H5Tclose);
        CHECK(H5Tequal(stored.id, type) > 0);
        const h5 dcpl(H5Dget_create_plist(d.id), H5Pclose);
        CHECK(H5Pget_nfilters(dcpl.id) >= 1);
    }
    {
        const h5 ts(H5Dopen2(group.id, "timestamps", H5P_DEFAULT), H5Dclose);
        const h5 a(H5Aopen(ts.id, "units", H5P_DEFAULT), H5Aclose);
        const h5 type(H5Aget_type(a.id), H5Tclose);
        char units[8] = {};
        REQUIRE(H5Aread(a.id, type.id, units) >= 0);
        CHECK(std::string(units, H5Tget_size(type.id)) == "ms");
    }
    const h5 activity(H5Gopen2(file.id, "/activity/hidden", H5P_DEFAULT), H5Gclose);
    for (const auto& attribute : {std::pair{"ticks", H5T_STD_U64LE}, std::pair{"streams", H5T_STD_U64LE},
                                  std::pair{"tick_ms", H5T_IEEE_F64LE}}) {
        const char* name = attribute.first;
        const hid_t type = attribute.second;
        CAPTURE(name);
        const h5 a(H5Aopen(activity.id, name, H5P_DEFAULT), H5Aclose);
        const h5 stored(H5Aget_type(a.id), H5Tclose);
        CHECK(H5Tequal(stored.id, type) > 0);
    }
}

TEST_CASE("spikes: a population without spikes, and files without /spikes or /activity") {
    const lutra::test::temp_dir dir("lutra-test-spikes-empty");
    const fs::path path = dir.path / "run.h5";
    {
        run_file f = tiny_run(path);
        f.write_spikes("out", {}, {});
        f.write_activity(activity_of("out", 0, 1, 1.0, "stepped", {0, 0}));
    }
    const run_reader r(path);
    CHECK(r.spikes("out").node_ids.empty());
    CHECK(r.activity("out").recording.engine == "stepped");
    CHECK(contains(error_of([&] { (void)r.spikes("hidden"); }), "missing /spikes/hidden"));
    CHECK(contains(error_of([&] { (void)r.activity("hidden"); }), "missing /activity/hidden"));
    const fs::path plain = dir.path / "plain.h5";
    { run_file f = tiny_run(plain); }
    const run_reader p(plain);
    CHECK(p.spike_populations().empty());
    CHECK(p.activity_populations().empty());
    CHECK_NOTHROW(p.verify());
}

TEST_CASE("spikes: the writer refuses what is not spikes of a stored population, before writing") {
    const lutra::test::temp_dir dir("lutra-test-spikes-refused");
    const fs::path path = dir.path / "run.h5";
    const double nan = std::numeric_limits<double>::quiet_NaN();
    {
        run_file early = tiny_run(dir.path / "early.h5", false);
        CHECK(contains(error_of([&] { early.write_spikes("hidden", {}, {}); }), "write the network first"));
    }
    run_file f = tiny_run(path);
    using ids = std::vector<std::uint64_t>;
    using times = std::vector<double>;
    const auto refused = [&](const std::string& population, const ids& i, const times& t) {
        return error_of([&] { f.write_spikes(population, i, t); });
    };
    CHECK(contains(refused("nowhere", {}, {}), "population 'nowhere' is not in /network/populations (it has: hidden, out)"));
    CHECK(contains(refused("a/b", {}, {}), "is not a valid name"));
    CHECK(contains(refused("hidden", {0, 1}, {0.0}), "node_ids has 2 entries and timestamps 1"));
    CHECK(contains(refused("hidden", {0, 4}, {0.0, 1.0}), "node id 4 is not in the population of 4 nodes (valid: 0..3)"));
    CHECK(contains(refused("hidden", {0, 1}, {1.0, 0.5}), "but sorting is by_time"));
    CHECK(contains(refused("hidden", {2, 1}, {1.0, 1.0}), "spikes of one time go in ascending node id, each node once"));
    CHECK(contains(refused("hidden", {1, 1}, {1.0, 1.0}), "each node once"));
    CHECK(contains(refused("hidden", {1}, {nan}), "timestamps are finite and ≥ 0 ms"));
    CHECK(contains(refused("hidden", {1}, {-1.0}), "timestamps are finite and ≥ 0 ms"));
    CHECK(f.spike_populations().empty());  // nothing was written

    // Activity: one count per node, each at most once per tick and stream; a recording that makes sense.
    const recording rec{.ticks = 10, .streams = 2, .tick_ms = 0.5, .engine = "event"};
    const auto activity_refused = [&](const population_activity& a) { return error_of([&] { f.write_activity(a); }); };
    CHECK(contains(activity_refused(activity_of("hidden", rec.ticks, rec.streams, rec.tick_ms, rec.engine, {1, 2, 3})), "toggles has 3 values, expected one per node of the population (4)"));
    CHECK(contains(activity_refused(activity_of("hidden", rec.ticks, rec.streams, rec.tick_ms, rec.engine, {1, 2, 3, 21})), "node 3 toggled 21 times, more than once per tick and stream (10 ticks × 2 streams)"));
    CHECK(contains(activity_refused(activity_of("hidden", 10, 0, 0.5, "event", {0, 0, 0, 0})), "streams is 0"));
    CHECK(contains(activity_refused(activity_of("hidden", 10, 1, 0.0, "event", {0, 0, 0, 0})), "tick_ms is 0 ms; it must be > 0"));
    CHECK(contains(activity_refused(activity_of("hidden", 10, 1, nan, "event", {0, 0, 0, 0})), "it must be > 0"));
    CHECK(contains(activity_refused(activity_of("hidden", 10, 1, 1.0, "", {0, 0, 0, 0})), "the engine is \"\"; valid: event, stepped"));
    CHECK(contains(activity_refused(activity_of("hidden", 10, 1, 1.0, "warp", {0, 0, 0, 0})), "the engine is \"warp\"; valid: event, stepped"));
    CHECK(f.activity_populations().empty());

    // Spikes and the recording of the same population agree, whichever is written first.
    f.write_spikes("hidden", ids{0, 3}, times{0.5, 4.5});
    CHECK(contains(activity_refused(activity_of("hidden", 9, 2, 0.5, "event", {1, 1, 1, 1})),
                   "the population's spikes disagree with this recording: spike 1 (node 3 at 4.5 ms): not before the "
                   "recording's end, 9 ticks × 0.5 ms = 4.5 ms"));
    f.write_activity(activity_of("out", rec.ticks, rec.streams, rec.tick_ms, rec.engine, {0, 0}));
    CHECK(contains(refused("out", {1}, {5.0}), "not before the recording's end, 10 ticks × 0.5 ms = 5 ms"));
    // Written once.
    CHECK(contains(refused("hidden", {}, {}), "/spikes/hidden already exists; run files are written once"));
    f.write_activity(activity_of("hidden", rec.ticks, rec.streams, rec.tick_ms, rec.engine, {1, 0, 0, 1}));
    CHECK(contains(activity_refused(activity_of("hidden", rec.ticks, rec.streams, rec.tick_ms, rec.engine, {1, 0, 0, 1})), "/activity/hidden already exists"));
    f.close();
    CHECK_NOTHROW(run_reader(path).verify());
    // Read-only files are not written.
    run_file ro = run_file::open(path);
    CHECK(contains(error_of([&] { ro.write_spikes("out", {}, {}); }), "opened read-only"));
}

TEST_CASE("spikes: the reader refuses foreign content that breaks SONATA's rules or the population") {
    const lutra::test::temp_dir dir("lutra-test-spikes-foreign");
    int n = 0;
    const auto read = [&](const foreign_spikes& o) {
        const fs::path path = dir.path / ("f" + std::to_string(n++) + ".h5");
        write_foreign(path, o);
        return error_of([&] { (void)run_reader(path).spikes("hidden"); });
    };
    // Another writer's well-formed spikes read; without the sorting attribute no order is assumed.
    CHECK(read({}) == "(no error)");
    foreign_spikes unsorted;
    unsorted.with_sorting = false;
    unsorted.times = {2.0, 1.0, 0.0};
    CHECK(read(unsorted) == "(no error)");
    unsorted.with_sorting = true;
    CHECK(contains(read(unsorted), "spike 1 (node 1 at 1 ms) follows node 0 at 2 ms, but sorting is by_time"));
    unsorted.sorting = 1;  // by_id holds
    CHECK(read(unsorted) == "(no error)");
    foreign_spikes short_ids;
    short_ids.ids = {0, 1};
    CHECK(contains(read(short_ids), "/spikes/hidden/node_ids has 2 entries, expected 3 (one per timestamp)"));
    foreign_spikes wrong_type;
    wrong_type.id_type = H5T_STD_I64LE;
    CHECK(contains(read(wrong_type), "/spikes/hidden/node_ids is stored as int64, expected uint64"));
    foreign_spikes seconds;
    seconds.units = "s";
    CHECK(contains(read(seconds), "/spikes/hidden/timestamps/@units is \"s\", expected \"ms\""));
    foreign_spikes gids;
    gids.sorting_names = {"none", "by_gid", "by_time"};
    gids.sorting = 1;
    CHECK(contains(read(gids), "/spikes/hidden/@sorting is not one of none, by_id, by_time"));
}

TEST_CASE("spikes: spikes whose order, range or recording is wrong are refused when read") {
    const lutra::test::temp_dir dir("lutra-test-spikes-edited");
    const fs::path path = dir.path / "run.h5";
    {
        run_file f = tiny_run(path);
        f.write_spikes("hidden", std::vector<std::uint64_t>{0, 1, 3}, std::vector<double>{0.0, 1.0, 2.0});
        f.write_activity(activity_of("hidden", 4, 1, 1.0, "event", {1, 1, 0, 1}));
    }
    // Edit the stored values in place, as damage a checksum cannot see would (rewritten whole, checksums and all).
    const auto edit = [&](const char* dataset, auto values, hid_t memory_type) {
        const h5 file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
        const h5 d(H5Dopen2(file.id, dataset, H5P_DEFAULT), H5Dclose);
        REQUIRE(H5Dwrite(d.id, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    };
    const auto problem = [&] { return error_of([&] { (void)run_reader(path).spikes("hidden"); }); };
    CHECK(problem() == "(no error)");
    edit("/spikes/hidden/timestamps", std::vector<double>{0.0, 2.0, 1.0}, H5T_NATIVE_DOUBLE);
    CHECK(contains(problem(), "read /spikes/hidden: spike 2 (node 3 at 1 ms) follows node 1 at 2 ms, but sorting is by_time"));
    edit("/spikes/hidden/timestamps", std::vector<double>{0.0, 1.0, 4.0}, H5T_NATIVE_DOUBLE);
    CHECK(contains(problem(), "not before the recording's end, 4 ticks × 1 ms = 4 ms"));
    edit("/spikes/hidden/timestamps", std::vector<double>{0.0, 1.0, 2.0}, H5T_NATIVE_DOUBLE);
    edit("/spikes/hidden/node_ids", std::vector<std::uint64_t>{0, 1, 4}, H5T_NATIVE_UINT64);
    CHECK(contains(problem(), "node id 4 is not in the population of 4 nodes"));
    CHECK(contains(error_of([&] { run_reader(path).verify(); }), "node id 4"));
    edit("/spikes/hidden/node_ids", std::vector<std::uint64_t>{0, 1, 3}, H5T_NATIVE_UINT64);
    edit("/activity/hidden/toggles", std::vector<std::uint64_t>{1, 1, 5, 1}, H5T_NATIVE_UINT64);
    CHECK(contains(error_of([&] { (void)run_reader(path).activity("hidden"); }),
                   "read /activity/hidden: node 2 toggled 5 times, more than once per tick and stream"));
}
