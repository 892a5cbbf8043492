// The table inits, in the order messages and choice lists give them. Adding
// a kind: its file, its declaration and one line here (table_init.hpp says
// more).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "lutra/core/error.hpp"
#include "table_init.hpp"

namespace lutra::topology {
namespace init {

table_init_kind random_init();
table_init_kind constant_init();
table_init_kind copy_init();
table_init_kind majority_init();
table_init_kind function_init();

std::span<const table_init_kind> table_init_table() {
    static const std::array table = {
        random_init(),
        constant_init(),
        copy_init(),
        majority_init(),
        function_init(),
    };
    return table;
}

const table_init_kind& table_init_kind_of(const table_init& init) {
    const std::span<const table_init_kind> table = table_init_table();
    const auto it =
        std::find_if(table.begin(), table.end(), [&](const table_init_kind& t) { return t.name == init.kind; });
    if (it == table.end()) throw internal_error("table init: no kind '" + init.kind + "' in a validated genome");
    return *it;
}

}  // namespace init

std::span<const std::string_view> table_init_kind_names() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> n;
        for (const init::table_init_kind& t : init::table_init_table()) n.push_back(t.name);
        return n;
    }();
    return names;
}

}  // namespace lutra::topology
