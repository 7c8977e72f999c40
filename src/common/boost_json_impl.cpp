// Debian's Boost 1.81 ships Boost.JSON without a compiled library: compile it here, once.
#include <boost/json/src.hpp>
