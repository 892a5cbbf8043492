// The `lutra` command with one more plasticity rule: `churn` (churn_rule.hpp)
// joins the process-wide catalogue before any config is read, so experiment
// files may name it in a schedule (xor.yaml).

#include "churn_rule.hpp"
#include "lutra/experiments/cli.hpp"
#include "lutra/plasticity/catalogue.hpp"

int main(int argc, char** argv) {
    my::add_churn(lutra::plasticity::catalogue());
    return lutra::experiments::run_cli(argc, argv);
}
