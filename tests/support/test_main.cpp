// The one main() of every Boost.Test executable (linked dynamically).
#define BOOST_TEST_MODULE lamplight
#include <boost/test/unit_test.hpp>
