// The doctest runner shared by every test suite. Test cases are compiled
// straight into each suite's executable (never from a static library, whose
// self-registering objects the linker would silently drop).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
