// Sweeps: sweep files into points (grid, zip, random draws, seeds), stable
// ids, the sweep directory, bad input at its line, and the local executor
// end to end — a failed point recorded, the others unaffected, rerun alone
// once fixed, finished points skipped.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "lutra/experiments/config.hpp"
#include "lutra/experiments/settings.hpp"
#include "lutra/experiments/sweep.hpp"
#include "lutra/experiments/sweep_run.hpp"
#include "support/env_override.hpp"
#include "support/majority_config.hpp"
#include "support/run_lutra.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace lutra;
using namespace lutra::experiments;
using lutra::test::run_lutra;

namespace {

// A base experiment of well under a second.
void write_base(const fs::path& file) {
    lutra::test::write_majority_config(file, {.name = "base", .epochs = 2, .train_samples = 2000, .hidden = 64, .out = 20});
}

fs::path write(const fs::path& file, const std::string& text) {
    std::ofstream(file) << text;
    return file;
}

std::string error_of(const fs::path& sweep, plan_options options = {}) {
    try {
        (void)plan_sweep(sweep, options);
    } catch (const lutra::error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a sweep's points: the product of grid, zip, random draws and seeds, the first axis slowest") {
    const lutra::test::temp_dir dir;
    write_base(dir.path / "base.yaml");
    const fs::path sweep = write(dir.path / "s.yaml",
                                 "name: s\n"
                                 "base: base.yaml\n"
                                 "set: {train.epochs: 1}\n"
                                 "grid:\n"
                                 "  train.tau: [2, 3.5]\n"
                                 "zip: {train.batch_size: [32, 64], data.train_samples: [1000, 1500]}\n"
                                 "random:\n"
                                 "  points: 3\n"
                                 "  seed: 7\n"
                                 "  parameters:\n"
                                 "    train.optimizer.learning_rate: {log_uniform: [0.001, 0.1]}\n"
                                 "    genome.populations[0].k: {integer: [3, 5]}\n"
                                 "seeds: 2\n");
    const sweep_plan plan = plan_sweep(sweep);
    CHECK(plan.parameters == std::vector<std::string>{"train.tau", "train.batch_size", "data.train_samples",
                                                      "train.optimizer.learning_rate", "genome.populations[0].k",
                                                      "seed"});
    REQUIRE(plan.points.size() == 2 * 2 * 3 * 2);
    // The last axis (seeds) varies fastest, the grid slowest.
    CHECK(plan.points[0].values[5] == "1");
    CHECK(plan.points[1].values[5] == "2");
    CHECK(plan.points[0].values[0] == "2");
    CHECK(plan.points[12].values[0] == "3.5");
    CHECK(plan.points[6].values[1] == "64");
    CHECK(plan.points[6].values[2] == "1500");  // zipped: walked together
    CHECK(plan.points[0].overrides.front() == sweep_value{"train.epochs", "1"});
    std::set<std::string> ids, draws;
    for (const sweep_point& p : plan.points) {
        CHECK(p.id.size() == 8);
        ids.insert(p.id);
        const double lr = std::stod(p.values[3]);
        CHECK(lr >= 0.001);
        CHECK(lr <= 0.1);
        const int k = std::stoi(p.values[4]);
        CHECK(k >= 3);
        CHECK(k <= 5);
        draws.insert(p.values[3]);
    }
    CHECK(ids.size() == plan.points.size());
    CHECK(draws.size() == 3);
    // Every point's config is the base with its values.
    const experiment_settings s = parse_config<experiment_settings>(point_config_yaml(plan, plan.points[13]), "p");
    CHECK(s.train.tau == 3.5);
    CHECK(s.seed == 2);
    CHECK(s.train.epochs == 1);
    CHECK(s.genome.populations[0].k == std::stoul(plan.points[13].values[4]));
    CHECK(s.name == "s-" + plan.points[13].dir_name());

    SUBCASE("a point's id follows its values, not its index; the plan is the same every time") {
        const sweep_plan again = plan_sweep(sweep);
        CHECK(again.hash == plan.hash);
        CHECK(again.points[5].id == plan.points[5].id);
        const fs::path reordered = write(dir.path / "r.yaml",
                                         "name: r\nbase: base.yaml\nset: {train.epochs: 1}\n"
                                         "grid:\n  train.tau: [3.5, 2]\n"
                                         "zip: {train.batch_size: [32, 64], data.train_samples: [1000, 1500]}\n"
                                         "random:\n  points: 3\n  seed: 7\n  parameters:\n"
                                         "    train.optimizer.learning_rate: {log_uniform: [0.001, 0.1]}\n"
                                         "    genome.populations[0].k: {integer: [3, 5]}\n"
                                         "seeds: 2\n");
        const sweep_plan r = plan_sweep(reordered);
        CHECK(r.hash != plan.hash);
        CHECK(r.points[0].id == plan.points[12].id);  // tau 3.5 first now
        CHECK(r.points[0].index == 0);
    }
}

TEST_CASE("a sweep file's mistakes are reported at their line before anything is written") {
    const lutra::test::temp_dir dir;
    write_base(dir.path / "base.yaml");
    const auto plan_error = [&](const std::string& body, plan_options options = {}) {
        return error_of(write(dir.path / "bad.yaml", "name: bad\nbase: base.yaml\n" + body), options);
    };
    const std::string unknown = plan_error("grid:\n  train.tua: [1, 2]\n");
    CHECK(unknown.find("bad.yaml:4:3") != std::string::npos);
    CHECK(unknown.find("did you mean 'tau'") != std::string::npos);
    const std::string deep = plan_error("grid:\n  train.optimizer.learning_rat: [1, 2]\n");
    CHECK(deep.find("did you mean 'learning_rate'") != std::string::npos);
    CHECK(plan_error("grid:\n  train.tau: []\n").find("bad.yaml:4:14: grid.train.tau: has no values") !=
          std::string::npos);
    CHECK(plan_error("zip: {train.tau: [1, 2], seed: [1, 2, 3]}\n").find("lengths must match") != std::string::npos);
    CHECK(plan_error("grdi: {train.tau: [1]}\n").find("did you mean 'grid'") != std::string::npos);
    CHECK(plan_error("set: {train.tau: 2}\n").find("sweeps nothing") != std::string::npos);
    CHECK(plan_error("grid: {seed: [1, 2]}\nseeds: 2\n").find("'seed' is also swept") != std::string::npos);
    CHECK(plan_error("grid: {train.tau: [1, 2]}\nrandom: {points: 2, parameters: {train.tau: {uniform: [1, 2]}}}\n")
              .find("set twice") != std::string::npos);
    CHECK(plan_error("random: {points: 2, parameters: {train.tau: {gauss: [1, 2]}}}\n").find("unknown distribution") !=
          std::string::npos);
    CHECK(plan_error("grid: {train.tau: [1]}\nslurm: {time: 1h}\n").find("not a Slurm time limit") != std::string::npos);
    // A value its field refuses, named at the parameter and the point.
    const std::string tau = plan_error("grid:\n  train.tau: [2, -1]\n");
    CHECK(tau.find("bad.yaml:4:3: train.tau: point 1 (train.tau=-1)") != std::string::npos);
    // A combination only the run's own checks refuse: a head for 3 classes of a 2-class dataset.
    CHECK(plan_error("grid: {genome.head.classes: [2, 3]}\n").find("point 1") != std::string::npos);
    // Too many points: refused unless forced.
    const std::string many = plan_error("grid: {seed: [1, 2, 3], train.tau: [1, 2, 3]}\nmax_points: 8\n");
    CHECK(many.find("9 points (3 × 3), more than max_points 8") != std::string::npos);
    CHECK(plan_error("grid: {seed: [1, 2, 3], train.tau: [1, 2, 3]}\nmax_points: 8\n", {.force = true}).empty());
    CHECK(error_of(write(dir.path / "nobase.yaml", "name: x\nbase: missing.yaml\ngrid: {seed: [1]}\n"))
              .find("missing.yaml does not exist") != std::string::npos);
}

TEST_CASE("a sweep directory holds one plan: another sweep file's is refused with both hashes") {
    const lutra::test::temp_dir dir;
    write_base(dir.path / "base.yaml");
    const sweep_plan a = plan_sweep(write(dir.path / "a.yaml", "name: a\nbase: base.yaml\ngrid: {seed: [1, 2]}\n"));
    const sweep_plan b = plan_sweep(write(dir.path / "b.yaml", "name: a\nbase: base.yaml\ngrid: {seed: [1, 3]}\n"));
    create_sweep_dir(a, dir.path / "sweep");
    CHECK_NOTHROW(create_sweep_dir(a, dir.path / "sweep"));  // the same plan: continued
    const sweep_plan read = open_sweep_dir(dir.path / "sweep");
    CHECK(read.hash == a.hash);
    CHECK(read.parameters == a.parameters);
    REQUIRE(read.points.size() == 2);
    CHECK(read.points[1].overrides == a.points[1].overrides);
    CHECK(read.points[1].values == a.points[1].values);
    CHECK(fs::exists(point_dir(dir.path / "sweep", a.points[1]) / "config.yaml"));
    try {
        create_sweep_dir(b, dir.path / "sweep");
        FAIL("another plan was accepted");
    } catch (const lutra::error& e) {
        CHECK(std::string(e.what()).find(a.hash) != std::string::npos);
        CHECK(std::string(e.what()).find(b.hash) != std::string::npos);
    }
    CHECK(array_ranges({0, 1, 2, 3}) == "0-3");
    CHECK(array_ranges({1, 4, 5, 7, 8, 9}) == "1,4,5,7-9");
    const std::string script = slurm_script(dir.path / "sweep", a, {a.slurm, {0, 1}, "/opt/lutra"});
    CHECK(script.find("#SBATCH --array=0,1\n") != std::string::npos);
    CHECK(script.find("#SBATCH --signal=B:USR1@120\n") != std::string::npos);
    CHECK(script.find("exec '/opt/lutra' sweep run-one") != std::string::npos);
}

TEST_CASE("lutra sweep run --executor local: a failed point is recorded, the others finish, it reruns alone") {
    const lutra::test::temp_dir dir;
    write_base(dir.path / "base.yaml");
    // Point 1 fails at run time (its dataset is not installed where it is
    // looked for), as a point on a cluster node without the data would.
    const fs::path data = dir.path / "data";
    fs::create_directories(data);
    const lutra::test::env_override data_dir("LUTRA_DATA_DIR", data.string());
    write(dir.path / "s.yaml",
          "name: local\nbase: base.yaml\n"
          "zip: {data.name: [majority-15, mnist, majority-15],\n"
          "      genome.inputs.width: [15, 28, 15], genome.inputs.height: [1, 28, 1],\n"
          "      genome.head.classes: [2, 10, 2], data.train_samples: [2000, 300, 1000]}\n");
    const fs::path out = dir.path / "sweep";
    const auto first = run_lutra("sweep run " + (dir.path / "s.yaml").string() + " --jobs 2 --out " + out.string());
    CHECK(first.exit_code == 1);
    CHECK(first.output.find("failed 0001-") != std::string::npos);
    CHECK(first.output.find("exit status 1: dataset 'mnist' is not installed") != std::string::npos);
    CHECK(first.output.find("2 done, 0 stopped, 1 failed") != std::string::npos);
    const auto status = run_lutra("sweep status " + out.string());
    CHECK(status.output.find("3 points: 2 done, 1 failed") != std::string::npos);
    CHECK(status.output.find("dataset 'mnist' is not installed") != std::string::npos);

    // Fixed: the data appears. --only failed runs point 1 alone.
    const char* home = std::getenv("HOME");
    const fs::path mnist = std::getenv("XDG_DATA_HOME") ? fs::path(std::getenv("XDG_DATA_HOME")) / "lutra" / "mnist"
                                                          : fs::path(home ? home : "/root") / ".local/share/lutra/mnist";
    if (!fs::exists(mnist / "train-images-idx3-ubyte")) {
        MESSAGE("MNIST is not installed at " << mnist << " (bash .ci/setup installs it); the rerun is not checked");
        return;
    }
    fs::create_directory_symlink(mnist, data / "mnist");
    const auto rerun = run_lutra("sweep run " + out.string() + " --only failed");
    CHECK(rerun.exit_code == 0);
    CHECK(rerun.output.find("running 1 of 3 points") != std::string::npos);
    CHECK(rerun.output.find("done   0001-") != std::string::npos);
    const auto again = run_lutra("sweep run " + out.string());
    CHECK(again.exit_code == 0);
    CHECK(again.output.find("nothing to run") != std::string::npos);
    CHECK(run_lutra("sweep status " + out.string()).output.find("3 points: 3 done") != std::string::npos);
    // Points 0 and 2 ran once: the reruns left them alone.
    const sweep_plan plan = open_sweep_dir(out);
    for (const std::size_t i : {0, 2}) {
        std::ifstream attempt(point_dir(out, plan.points[i]) / "attempt.yaml");
        const std::string text((std::istreambuf_iterator<char>(attempt)), std::istreambuf_iterator<char>());
        CHECK(text.find("attempt: 1\n") != std::string::npos);
    }
}

TEST_CASE("lutra sweep run --executor slurm without sbatch says so; --dry-run prints the script and writes nothing") {
    const lutra::test::temp_dir dir;
    write_base(dir.path / "base.yaml");
    write(dir.path / "s.yaml", "name: s\nbase: base.yaml\nseeds: 3\nslurm: {partition: cpu, parallel: 2}\n");
    const std::string sweep = (dir.path / "s.yaml").string();
    const std::string out = (dir.path / "sweep").string();
    const auto dry = run_lutra("sweep run " + sweep + " --executor slurm --out " + out + " --dry-run --time 00:10:00");
    CHECK(dry.exit_code == 0);
    CHECK(dry.output.find("#SBATCH --array=0-2%2\n") != std::string::npos);
    CHECK(dry.output.find("#SBATCH --partition=cpu\n") != std::string::npos);
    CHECK(dry.output.find("#SBATCH --time=00:10:00\n") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
    CHECK(run_lutra("sweep run " + sweep + " --executor slurm --out " + out + " --time 1h").output.find(
              "not a Slurm time limit") != std::string::npos);
    const lutra::test::env_override path("PATH", (dir.path / "no-such-dir").string());
    const auto missing = run_lutra("sweep run " + sweep + " --executor slurm --out " + out);
    CHECK(missing.exit_code == 1);
    CHECK(missing.output.find("sbatch is not on PATH") != std::string::npos);
}
