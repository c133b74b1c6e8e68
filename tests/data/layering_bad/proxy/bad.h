#pragma once
#include "sim/k8s/world.h"
