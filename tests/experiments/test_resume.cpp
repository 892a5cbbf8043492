// Checkpoints and `lutra run --resume`: a run killed with SIGKILL continues
// from its last finished epoch and ends with the same network and metrics as
// a run that was never stopped.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/experiments/checkpoint.hpp"
#include "lutra/runfile/run_file.hpp"
#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"
#include "support/majority_config.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::experiments;

using lutra::test::run_lutra;

namespace {

// Twelve epochs of some tens of milliseconds each, so a kill lands mid-run.
void write_config(const fs::path& file) { lutra::test::write_majority_config(file, {.name = "resume", .seed = 4}); }

// Starts `lutra run` and kills it with SIGKILL once its checkpoint holds at
// least `epochs` finished epochs. Returns false if the run finished first.
bool run_and_kill(const fs::path& config, const fs::path& out, std::uint32_t epochs) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // dup2, not freopen: freopen would flush the parent's buffered output a second time.
        const int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execl(LUTRA_BINARY, LUTRA_BINARY, "--quiet", "run", config.c_str(), "--out", out.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    const fs::path checkpoint_file = out / "checkpoint";
    int status = 0;
    for (;;) {
        if (waitpid(child, &status, WNOHANG) == child) return false;  // finished (or failed) before the kill
        if (fs::exists(checkpoint_file)) {
            try {
                if (read_checkpoint(checkpoint_file).state.epoch >= epochs) break;
            } catch (const lutra::error&) {
                // Renamed into place whole, so this only means it vanished; poll again.
            }
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    kill(child, SIGKILL);
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    return true;
}

// The metrics without their wall times, which differ from run to run.
std::vector<runfile::metrics_row> timeless_metrics(const runfile::run_file& file) {
    std::vector<runfile::metrics_row> rows = file.read_metrics();
    for (runfile::metrics_row& r : rows) r.seconds = 0;
    return rows;
}

}  // namespace

TEST_CASE("resume: a run killed at any epoch ends with the tables and metrics of an uninterrupted run") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const fs::path config = dir.path / "resume.yaml";
    write_config(config);
    const auto whole = run_lutra("--quiet run " + config.string() + " --out " + (dir.path / "whole").string());
    REQUIRE(whole.exit_code == 0);
    const runfile::run_file expected = runfile::run_file::open(dir.path / "whole" / "run.h5");
    const core::network expected_net = expected.read_network();
    CHECK(timeless_metrics(expected).size() == 36);  // 12 epochs × (train, test, test_relaxed)
    const runfile::run_stats expected_stats = runfile::run_reader(dir.path / "whole").stats();
    CHECK(expected_stats.rows() == 12);

    for (const std::uint32_t kill_after : {1U, 5U, 9U}) {
        CAPTURE(kill_after);
        const fs::path out = dir.path / ("killed-" + std::to_string(kill_after));
        REQUIRE(run_and_kill(config, out, kill_after));
        CHECK_FALSE(fs::exists(out / "summary.txt"));
        const auto resumed = run_lutra("--quiet run --resume " + out.string());
        CAPTURE(resumed.output);
        REQUIRE(resumed.exit_code == 0);
        CHECK(resumed.output.find("resumed:    after epoch") != std::string::npos);
        CHECK(fs::exists(out / "summary.txt"));
        const runfile::run_file got = runfile::run_file::open(out / "run.h5");
        CHECK(got.read_network().arrays().tables == expected_net.arrays().tables);
        CHECK(timeless_metrics(got) == timeless_metrics(expected));
        CHECK(runfile::run_reader(out).stats() == expected_stats);  // /stats rows of trained-again epochs replaced
    }
}

TEST_CASE("resume: a finished run is left alone; --resume refuses settings and runs without a checkpoint") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const fs::path out = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=5").exit_code == 0);
    const auto files = {"run.h5", "summary.txt", "checkpoint", "config.yaml"};
    std::vector<fs::file_time_type> times;
    for (const char* f : files) times.push_back(fs::last_write_time(out / f));

    const auto again = run_lutra("run --resume " + out.string());
    CHECK(again.exit_code == 0);
    CHECK(again.output.find("had already finished") != std::string::npos);
    std::size_t i = 0;
    for (const char* f : files) {
        CAPTURE(f);
        CHECK(fs::last_write_time(out / f) == times[i++]);
    }

    // --resume takes the run's own config: no config file, --set or --out besides.
    const auto with_set = run_lutra("run --resume " + out.string() + " --set train.epochs=9");
    CHECK(with_set.exit_code == 2);
    CHECK(with_set.output.find("DIR/config.yaml") != std::string::npos);
    CHECK(run_lutra("run " + config + " --resume " + out.string()).exit_code == 2);
    const auto neither = run_lutra("run");
    CHECK(neither.exit_code == 2);
    CHECK(neither.output.find("--resume") != std::string::npos);

    // A run killed before its first checkpoint: nothing to resume.
    const fs::path early = dir.path / "early";
    fs::create_directories(early);
    fs::copy_file(out / "config.yaml", early / "config.yaml");
    const auto nothing = run_lutra("run --resume " + early.string());
    CHECK(nothing.exit_code == 1);
    CHECK(nothing.output.find("nothing to resume: " + early.string() +
                              " has no checkpoint; the run did not finish its first epoch — start it again") !=
          std::string::npos);

    const auto absent = run_lutra("run --resume " + (dir.path / "absent").string());
    CHECK(absent.exit_code == 1);
    CHECK(absent.output.find("is not a directory") != std::string::npos);
}

TEST_CASE("resume: a run killed before summary.txt is finished; a damaged run.h5 or checkpoint is named") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const fs::path out = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=3").exit_code == 0);
    const auto tables = runfile::run_file::open(out / "run.h5").read_network().arrays().tables;
    // Killed after its last checkpoint and /network, before summary.txt: the
    // resume only finishes it.
    fs::remove(out / "summary.txt");
    const auto finish = run_lutra("run --resume " + out.string());
    CHECK(finish.exit_code == 0);
    CHECK(finish.output.find("resumed:    after epoch 3") != std::string::npos);
    CHECK(fs::exists(out / "summary.txt"));
    CHECK(runfile::run_file::open(out / "run.h5").read_network().arrays().tables == tables);
    fs::remove(out / "summary.txt");

    const fs::path saved = dir.path / "checkpoint";
    fs::copy_file(out / "checkpoint", saved);
    {
        std::fstream f(out / "checkpoint", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(60);
        f.put('\x55');
    }
    const auto crc = run_lutra("run --resume " + out.string());
    CHECK(crc.exit_code == 1);
    CHECK(crc.output.find((out / "checkpoint").string() + ": read checkpoint: CRC-32 mismatch") != std::string::npos);

    fs::copy_file(saved, out / "checkpoint", fs::copy_options::overwrite_existing);
    fs::resize_file(out / "run.h5", fs::file_size(out / "run.h5") / 2);
    const auto h5 = run_lutra("run --resume " + out.string());
    CHECK(h5.exit_code == 1);
    CHECK(h5.output.find((out / "run.h5").string() + ": ") != std::string::npos);
}

TEST_CASE("resume: a config.yaml edited after the run started is refused, naming the first changed key") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const fs::path out = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=3").exit_code == 0);
    fs::remove(out / "summary.txt");  // as if killed before it
    std::string original;
    {
        std::ifstream in(out / "config.yaml");
        original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const auto edit = [&](const std::string& from, const std::string& to) {
        std::string text = original;
        REQUIRE(text.find(from) != std::string::npos);
        text.replace(text.find(from), from.size(), to);
        std::ofstream(out / "config.yaml") << text;
    };
    const auto h5_size = fs::file_size(out / "run.h5");
    const auto h5_time = fs::last_write_time(out / "run.h5");
    edit("learning_rate: 0.1", "learning_rate: 0.5");
    const auto lr = run_lutra("run --resume " + out.string());
    CHECK(lr.exit_code == 1);
    CHECK(lr.output.find((out / "config.yaml").string() + ":") != std::string::npos);
    CHECK(lr.output.find("train.optimizer.learning_rate: differs from the settings the run started with") !=
          std::string::npos);
    edit("batch_size: 16", "batch_size: 32");
    const auto batch = run_lutra("run --resume " + out.string());
    CHECK(batch.exit_code == 1);
    CHECK(batch.output.find("train.batch_size: differs") != std::string::npos);
    // Nothing was written by the refusals; the unedited config resumes.
    CHECK(fs::file_size(out / "run.h5") == h5_size);
    CHECK(fs::last_write_time(out / "run.h5") == h5_time);
    CHECK_FALSE(fs::exists(out / "summary.txt"));
    std::ofstream(out / "config.yaml") << original;
    CHECK(run_lutra("--quiet run --resume " + out.string()).exit_code == 0);
}

namespace {

std::string file_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

// A resume reads every part of run.h5 before it changes anything: one that
// no longer reads — its contents invalid, or its bytes failing a checksum —
// is refused with the reason, and the run is not marked finished.
TEST_CASE("resume: a run whose run.h5 no longer reads is refused and left as it was") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const fs::path out = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=3").exit_code == 0);
    fs::remove(out / "summary.txt");  // killed after its last checkpoint, before summary.txt
    const fs::path h5 = out / "run.h5";
    const fs::path saved = dir.path / "run.h5";
    fs::copy_file(h5, saved);

    std::string detail;  // what the refusal names
    SUBCASE("contents that do not read") {
        detail = "which is not that feature's place";
        // Every input bit at column 0: no longer its feature's place in the image.
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t file = H5Fopen(h5.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(file >= 0);
        const hid_t dataset = H5Dopen2(file, "/encoder/x", H5P_DEFAULT);
        REQUIRE(dataset >= 0);
        const hid_t space = H5Dget_space(dataset);
        const std::vector<std::uint16_t> zeros(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)), 0);
        CHECK(H5Dwrite(dataset, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros.data()) >= 0);
        H5Sclose(space);
        H5Dclose(dataset);
        H5Fclose(file);
    }
    SUBCASE("a byte that fails its checksum") {
        // One bit of /encoder/threshold's chunk, as a disk would damage it.
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
        const hid_t file = H5Fopen(h5.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        REQUIRE(file >= 0);
        const hid_t dataset = H5Dopen2(file, "/encoder/threshold", H5P_DEFAULT);
        REQUIRE(dataset >= 0);
        const hsize_t origin = 0;
        haddr_t address = HADDR_UNDEF;
        hsize_t size = 0;
        REQUIRE(H5Dget_chunk_info_by_coord(dataset, &origin, nullptr, &address, &size) >= 0);
        H5Dclose(dataset);
        H5Fclose(file);
        REQUIRE(size > 0);
        std::fstream f(h5, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(address));
        const char c = static_cast<char>(f.get());
        f.seekp(static_cast<std::streamoff>(address));
        f.put(static_cast<char>(c ^ 0x10));
        detail = "cannot read /encoder/threshold (HDF5: data error detected by Fletcher32 checksum)";
    }
    const std::string damaged = file_bytes(h5);
    const auto resumed = run_lutra("run --resume " + out.string());
    CAPTURE(resumed.output);
    CHECK(resumed.exit_code == 1);
    CHECK(resumed.output.find(h5.string() + ": read /encoder: ") != std::string::npos);
    CHECK(resumed.output.find(detail) != std::string::npos);
    CHECK_FALSE(fs::exists(out / "summary.txt"));
    CHECK(file_bytes(h5) == damaged);
}

TEST_CASE("checkpoint: round trip, atomic replacement and refused files") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const fs::path file = dir.path / "checkpoint";
    checkpoint c{.genome_hash = 0x0123456789abcdefULL,
                 .state = {.epoch = 3,
                           .network = {{}, {{"k", {2, 2}}, {"sources", {0, 1, 1, 0}}, {"tables", {6, 8}}}},
                           .rules = {{"0:gradient",
                                      {{{"theta", {1.5F, -2.0F, 0.25F}}, {"m", {0.1F, 0.2F, 0.3F}},
                                        {"v", {1e-3F, 2e-3F, 0.0F}}},
                                       {{"steps", {77}}}}},
                                     {"0:probe", {}}}}};
    write_checkpoint(file, c);
    CHECK(read_checkpoint(file) == c);
    c.state.epoch = 4;
    write_checkpoint(file, c);  // replaces the old one, leaving no temporary behind
    CHECK(read_checkpoint(file) == c);
    CHECK_FALSE(fs::exists(dir.path / "checkpoint.tmp"));

    CHECK_THROWS_WITH_AS((void)read_checkpoint(dir.path / "absent"),
                         doctest::Contains("absent: read checkpoint: no such file"), lutra::io_error);
    std::ofstream(dir.path / "text") << "not a checkpoint at all, but long enough to have a header";
    CHECK_THROWS_WITH_AS((void)read_checkpoint(dir.path / "text"), doctest::Contains("no LUTRACKP signature"),
                         lutra::io_error);
    // Every truncation and every flipped byte is refused, never read as a state.
    const auto size = fs::file_size(file);
    for (std::uintmax_t keep = 0; keep < size; ++keep) {
        fs::copy_file(file, dir.path / "short", fs::copy_options::overwrite_existing);
        fs::resize_file(dir.path / "short", keep);
        CHECK_THROWS_AS((void)read_checkpoint(dir.path / "short"), lutra::io_error);
    }
    std::string bytes;
    {
        std::ifstream in(file, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    for (std::size_t at = 12; at < bytes.size(); ++at) {
        std::string damaged = bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
        std::ofstream(dir.path / "flipped", std::ios::binary | std::ios::trunc) << damaged;
        CHECK_THROWS_WITH_AS((void)read_checkpoint(dir.path / "flipped"), doctest::Contains("damaged"), lutra::io_error);
    }
    // Lutra 0.1's checkpoints (version 1) are refused with what to do.
    std::string v1 = bytes;
    v1[8] = 1;
    std::ofstream(dir.path / "v1", std::ios::binary | std::ios::trunc) << v1;
    CHECK_THROWS_WITH_AS((void)read_checkpoint(dir.path / "v1"), doctest::Contains("written by Lutra 0.1"), lutra::io_error);
}

// The encoder is fitted again when a run resumes; a Lutra that fits it
// differently (issue 16 changed the quantile thermometer) must not carry on
// with other input bits than the run started with.
TEST_CASE("resume: an encoder fitted differently from the run's start is refused, naming the first input bit") {
    const lutra::test::temp_dir dir("lutra-test-resume");
    const std::string config = std::string(LUTRA_CONFIGS_DIR) + "/parity.yaml";
    const fs::path out = dir.path / "parity";
    REQUIRE(run_lutra("--quiet run " + config + " --out " + out.string() + " --set train.epochs=3").exit_code == 0);
    fs::remove(out / "summary.txt");  // as if killed before it
    {
        // What an older Lutra would have fitted: input bit 2's threshold one higher.
        const hid_t file = H5Fopen((out / "run.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(file >= 0);
        const hid_t set = H5Dopen2(file, "/encoder/threshold", H5P_DEFAULT);
        REQUIRE(set >= 0);
        const hid_t space = H5Dget_space(set);
        std::vector<std::uint8_t> thresholds(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
        REQUIRE(thresholds.size() > 2);
        REQUIRE(H5Dread(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, thresholds.data()) >= 0);
        ++thresholds[2];
        REQUIRE(H5Dwrite(set, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, thresholds.data()) >= 0);
        H5Sclose(space);
        H5Dclose(set);
        H5Fclose(file);
    }
    const auto r = run_lutra("run --resume " + out.string());
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("the encoder fitted now differs from the one the run started with (/encoder, first at "
                        "input bit 2: threshold 128 then, 127 now)") != std::string::npos);
    CHECK_FALSE(fs::exists(out / "summary.txt"));
}
