// train.hpp — every header of nnocr::train.
#pragma once

#include "checkpoint.hpp"
#include "ctc.hpp"
#include "gradcheck.hpp"
#include "loop.hpp"
#include "loss.hpp"
#include "optim.hpp"
#include "schedule.hpp"
