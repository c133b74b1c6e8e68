// The matchers are header-only templates; this file gives the meshsim::testing library a
// translation unit and checks that the header compiles on its own.
#include "sim/testing/matchers.h"
