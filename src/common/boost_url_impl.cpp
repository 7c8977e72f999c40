// Debian's Boost 1.81 ships Boost.URL without a compiled library: compile it here, once.
#include <boost/url/src.hpp>
