#pragma once
#include "sim/mesh.h"
