// decode.hpp — every header of nnocr::decode.
#pragma once

#include "attention.hpp"
#include "char_lm.hpp"
#include "ctc.hpp"
#include "lexicon.hpp"
