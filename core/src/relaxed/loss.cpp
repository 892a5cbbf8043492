#include "lutra/core/loss.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lutra::core {

namespace {

// Cross-entropy of score rows (samples × classes) divided by τ; with grad,
// its derivative by each score of the mean loss, times 1/τ.
group_sum_loss_result loss_from_scores(std::span<const double> score, std::uint32_t classes,
                                       std::span<const std::uint16_t> labels, double tau, std::vector<double>* grad) {
    const std::size_t n = labels.size();
    const double inv_tau = 1.0 / tau;
    group_sum_loss_result r;
    if (grad != nullptr) grad->assign(n * classes, 0.0);
    for (std::size_t s = 0; s < n; ++s) {
        const double* sc = score.data() + s * classes;
        const auto best = static_cast<std::uint32_t>(std::max_element(sc, sc + classes) - sc);
        if (best == labels[s]) ++r.correct;
        double top = -INFINITY;
        for (std::uint32_t c = 0; c < classes; ++c) top = std::max(top, sc[c] * inv_tau);
        double total = 0;
        for (std::uint32_t c = 0; c < classes; ++c) total += std::exp(sc[c] * inv_tau - top);
        const double log_total = std::log(total) + top;
        r.loss_sum += log_total - sc[labels[s]] * inv_tau;
        if (grad != nullptr)
            for (std::uint32_t c = 0; c < classes; ++c)
                (*grad)[s * classes + c] = (std::exp(sc[c] * inv_tau - log_total) - (c == labels[s] ? 1.0 : 0.0)) *
                                           inv_tau / static_cast<double>(n);
    }
    return r;
}

}  // namespace

group_sum_loss_result group_sum_loss(const group_sum_head& head, const relaxed_engine::activations& y,
                                     std::span<const std::uint16_t> labels, double tau,
                                     relaxed_engine::activations* dy) {
    const std::uint32_t classes = head.num_classes;
    const std::size_t group = head.outputs.size() / classes;
    const std::size_t n = y.samples();
    std::vector<double> score(n * classes, 0.0);
    for (std::uint32_t c = 0; c < classes; ++c)
        for (std::size_t j = 0; j < group; ++j) {
            const auto row = y.node(head.outputs[c * group + j]);
            for (std::size_t s = 0; s < n; ++s) score[s * classes + c] += row[s];
        }
    std::vector<double> grad;
    const group_sum_loss_result r = loss_from_scores(score, classes, labels.first(n), tau, dy ? &grad : nullptr);
    if (dy != nullptr)
        for (std::uint32_t c = 0; c < classes; ++c)
            for (std::size_t j = 0; j < group; ++j) {
                auto row = dy->node(head.outputs[c * group + j]);
                for (std::size_t s = 0; s < n; ++s) row[s] += static_cast<float>(grad[s * classes + c]);
            }
    return r;
}

group_sum_loss_result group_sum_loss(std::span<const std::uint32_t> scores, std::uint32_t classes,
                                     std::span<const std::uint16_t> labels, double tau) {
    const std::vector<double> score(scores.begin(), scores.end());
    return loss_from_scores(score, classes, labels, tau, nullptr);
}

}  // namespace lutra::core
