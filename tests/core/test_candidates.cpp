#include <doctest/doctest.h>

#include "lutra/core/candidates.hpp"
#include "lutra/core/error.hpp"
#include "lutra/core/network.hpp"

using namespace lutra;
using namespace lutra::core;

namespace {

// 3 inputs → n0 (k = 2: in0, in1) → n1 (k = 2: n0 = source 3, in2).
network two_nodes() {
    network_arrays a;
    a.num_inputs = 3;
    a.k = {2, 2};
    a.sources = {0, 1, 3, 2};
    a.tables = {0b1000, 0b0110};
    return network(std::move(a));
}

// n0's slots share list 0 (the inputs); n1's slots have lists of their own.
candidate_sources candidates() {
    candidate_sources c;
    c.slot_list = {0, 0, 1, 2};
    c.list_offset = {0, 3, 5, 7};
    c.sources = {0, 1, 2, /* list 1 */ 3, 4, /* list 2 */ 2, 0};
    return c;
}

}  // namespace

TEST_CASE("candidates: of(slot) reads the slot's shared list") {
    const candidate_sources c = candidates();
    CHECK(c.num_slots() == 4);
    CHECK(c.num_lists() == 3);
    CHECK(c.of(1).size() == 3);
    CHECK(c.of(1)[2] == 2);
    CHECK(c.of(2)[0] == 3);
    CHECK(c.of(3)[1] == 0);
    CHECK(c.memory_bytes() == 4 * 4 + 4 * 8 + 7 * 4);
    CHECK(candidate_sources{}.empty());
    CHECK_NOTHROW(validate(c, two_nodes()));
}

TEST_CASE("candidates: validate checks sizes, ranges and that each slot's source is a candidate") {
    const network net = two_nodes();
    auto rejects = [&](const candidate_sources& c, const char* message) {
        CHECK_THROWS_WITH_AS(validate(c, net), doctest::Contains(message), network_error);
    };
    candidate_sources c = candidates();
    c.slot_list.pop_back();
    rejects(c, "candidates: 3 slots listed; the network has 4");

    c = candidates();
    c.list_offset.front() = 1;
    rejects(c, "list_offset must start with 0");
    c = candidates();
    c.list_offset.back() = 6;
    rejects(c, "list_offset ends at 6, not at the 7 sources");
    c = candidates();
    c.list_offset[2] = 3;
    rejects(c, "list 1 is empty or its offsets decrease");
    c = candidates();
    c.list_offset = {};
    rejects(c, "list_offset must start with 0");

    c = candidates();
    c.sources[4] = 5;
    rejects(c, "list 1 names source 5, but there are only 5 sources");
    c = candidates();
    c.sources[1] = 0;
    rejects(c, "list 0 names source 0 twice");

    c = candidates();
    c.slot_list[3] = 3;
    rejects(c, "node 1: candidates: slot 1 names list 3, but there are 3");

    c = candidates();
    c.slot_list[3] = 1;  // n1's slot 1 reads input 2, not in list 1 = {3, 4}
    rejects(c, "node 1: candidates: slot 1 reads source 2, which is not among its candidates (list 1)");
    c = candidates();
    c.sources[0] = 4;  // list 0 = {4, 1, 2} lacks n0's slot 0 source, input 0
    rejects(c, "node 0: candidates: slot 0 reads source 0");
}
