#pragma once
#include "tools/meshsim/cli.h"
