// The single include point of <opendkim/dkim.h> for C++: the header uses C99's `_Bool`, which
// C++ lacks (same size and ABI as C++ bool on every GCC/Clang target).
#pragma once

#define _Bool bool

#include <opendkim/dkim.h>

#undef _Bool
