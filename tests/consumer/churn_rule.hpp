#pragma once
// A plasticity rule written outside Lutra: `churn` watches training without
// changing the network. It counts the batches and samples it sees and the
// table bits the phase's other rules flipped, epoch by epoch.
// docs/extending.md walks through it.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lutra/core/error.hpp"
#include "lutra/core/schema.hpp"
#include "lutra/plasticity/catalogue.hpp"
#include "lutra/plasticity/rule.hpp"

namespace my {

using namespace lutra;

// The rule's parameters: a plain struct with defaults and one comment per
// field; describe() beside it gives each field its key, range and doc, which
// the catalogue checks a schedule's parameters against.
struct churn_params {
    std::uint32_t report_every = 50;  // epochs between printed reports, ≥ 1
    friend bool operator==(const churn_params&, const churn_params&) = default;
};
inline void describe(core::schema_visitor& v, churn_params& p) {
    v.field("report_every", p.report_every, "epochs between printed reports", 1U, 100000U);
}

class churn_rule final : public plasticity::rule {
public:
    static constexpr std::string_view rule_name = "churn";

    explicit churn_rule(const churn_params& p) : p_(p) {}

    [[nodiscard]] std::string_view name() const override { return rule_name; }

    void begin(plasticity::learning_context& ctx) override { before_ = ctx.network().arrays().tables; }

    void batch(const plasticity::batch_activity& activity, plasticity::learning_context&,
               plasticity::batch_measure&) override {
        ++batches_;
        samples_ += activity.samples;
    }

    // The network is current here: count the bits changed since the last epoch.
    void end_epoch(plasticity::learning_context& ctx) override {
        const std::vector<std::uint64_t>& tables = ctx.network().arrays().tables;
        for (std::size_t w = 0; w < std::min(tables.size(), before_.size()); ++w)
            flips_ += static_cast<std::uint64_t>(std::popcount(tables[w] ^ before_[w]));
        before_ = tables;
        const std::uint32_t trained = ctx.position().epoch + 1;
        if (trained % p_.report_every == 0) {
            std::printf("churn: %llu table bits flipped in epochs %u..%u\n", static_cast<unsigned long long>(flips_),
                        trained - p_.report_every + 1, trained);
            flips_ = 0;
        }
    }

    // What a checkpoint keeps, and what session::state() shows ("<phase>:churn").
    [[nodiscard]] plasticity::named_state state() const override {
        return {{}, {{"batches", {batches_}}, {"samples", {samples_}}, {"flips", {flips_}}}};
    }
    void restore(const plasticity::named_state& state, plasticity::learning_context& ctx) override {
        const auto one = [&state](const char* key) {
            const auto found = state.integers.find(key);
            if (found == state.integers.end() || found->second.size() != 1)
                throw lutra::error(std::string("churn: checkpoint without '") + key + "'");
            return found->second[0];
        };
        batches_ = one("batches");
        samples_ = one("samples");
        flips_ = one("flips");
        before_ = ctx.network().arrays().tables;
    }

private:
    churn_params p_;
    std::uint64_t batches_ = 0;
    std::uint64_t samples_ = 0;
    std::uint64_t flips_ = 0;  // since the last report
    std::vector<std::uint64_t> before_;
};

// Adds `churn` to a catalogue: a private one handed to a session, or
// plasticity::catalogue(), the one configs are read against.
inline void add_churn(plasticity::rule_catalogue& catalogue) {
    catalogue.add<churn_params>(std::string(churn_rule::rule_name), "counts batches, samples and table flips",
                                [](const churn_params& p, const plasticity::session_setup&) {
                                    return std::make_unique<churn_rule>(p);
                                });
}

}  // namespace my
