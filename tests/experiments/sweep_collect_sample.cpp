// Makes the sample sweep of support/sweep_sample.hpp in DIR (removed first)
// and collects it into DIR/results, for tests/experiments/test_sweep_points.py.
#include <cstdio>
#include <exception>
#include <filesystem>

#include "lutra/experiments/sweep_collect.hpp"
#include "support/sweep_sample.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: sweep_collect_sample DIR\n");
        return 2;
    }
    try {
        std::filesystem::remove_all(argv[1]);
        const lutra::experiments::collect_request request = lutra::test::make_sample_sweep(argv[1]);
        const lutra::experiments::collect_result result = lutra::experiments::collect_sweep(request);
        std::fputs(lutra::experiments::describe_collection(request, result).c_str(), stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sweep_collect_sample: %s\n", e.what());
        return 1;
    }
    return 0;
}
