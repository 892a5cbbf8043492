// Text, one byte per tick: input i is bit i of the byte, the label the next
// byte (256 classes). Stream s starts at offset ⌊s·length/streams⌋, so the
// streams read different parts of the file, and every stream wraps around
// at its end (the label of the last byte is the first).

#include <filesystem>
#include <system_error>

#include "kinds.hpp"
#include "lutra/core/read_file.hpp"

namespace lutra::data::streams {

namespace {

class text_stimulus final : public core::stimulus {
public:
    text_stimulus(std::string text, std::size_t streams) : text_(std::move(text)), streams_(streams) {
        __extension__ using u128 = unsigned __int128;
        for (std::size_t s = 0; s < streams_; ++s)
            offsets_.push_back(static_cast<std::size_t>(static_cast<u128>(s) * text_.size() / streams_));
    }

    [[nodiscard]] std::uint32_t num_inputs() const override { return 8; }
    [[nodiscard]] std::size_t streams() const override { return streams_; }
    [[nodiscard]] bool labelled() const override { return true; }

    void fill(std::uint64_t tick, core::bit_matrix& inputs) override {
        clear_inputs(*this, inputs);
        for (std::size_t s = 0; s < streams_; ++s) {
            const auto byte = static_cast<unsigned char>(at(s, tick));
            for (unsigned i = 0; i < 8; ++i)
                if ((byte >> i) & 1U) set_input(inputs, i, s);
        }
    }

    void labels(std::uint64_t tick, std::span<std::uint16_t> out) override {
        check_labels(*this, out);
        for (std::size_t s = 0; s < streams_; ++s) out[s] = static_cast<unsigned char>(at(s, tick + 1));
    }

private:
    [[nodiscard]] char at(std::size_t stream, std::uint64_t tick) const noexcept {
        return text_[(offsets_[stream] + tick % text_.size()) % text_.size()];
    }

    std::string text_;
    std::size_t streams_;
    std::vector<std::size_t> offsets_;
};

std::string empty_file_problem(const std::string& file) {
    return "text file '" + file + "' is empty; the text sequence needs at least one byte";
}

}  // namespace

stream_shape shape_text(const stream_params& p) {
    if (p.file.empty())
        throw param_error("file", "the text sequence reads a file, and none is given; set it to a text file");
    if (const std::string problem = core::unreadable_file_problem(p.file, core::max_text_file_bytes);
        !problem.empty())
        throw param_error("file", "text file '" + p.file + "': " + problem);
    std::error_code ec;
    if (std::filesystem::file_size(p.file, ec) == 0 && !ec) throw param_error("file", empty_file_problem(p.file));
    return {.width = 8, .height = 1, .bits = 1, .classes = 256, .ticks_per_sample = 0};
}

std::unique_ptr<core::stimulus> make_text(const stream_params& p, std::size_t streams, std::uint64_t) {
    (void)shape_text(p);
    std::string text = core::read_file(p.file, "read the text sequence");
    if (text.empty()) throw param_error("file", empty_file_problem(p.file));
    return std::make_unique<text_stimulus>(std::move(text), streams);
}

}  // namespace lutra::data::streams
