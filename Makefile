# PGXS builds the extension; CMake (CMakeLists.txt) builds unit tests, benchmarks and tools.
EXTENSION  = message_center
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = message_center

SRCS = $(sort $(wildcard src/*.cpp src/*/*.cpp))
OBJS = $(SRCS:.cpp=.o)

# The install script is stitched from one SQL object per file, in file-name order.
SQL_PARTS  = $(sort $(wildcard sql/install/*.sql))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(wildcard sql/upgrade/$(EXTENSION)--*--*.sql)
EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# -isystem keeps -Wextra about our code, not PostgreSQL's headers.
PG_CPPFLAGS = -isystem $(PG_INCLUDE_SERVER) -Isrc
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -fvisibility=hidden \
              -fno-omit-frame-pointer
SHLIB_LINK  = -lstdc++

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# This PGXS builds LLVM bitcode with clang and does not pass PG_CXXFLAGS to it.
COMPILE.cxx.bc += $(PG_CXXFLAGS)

# The directory too: adding or removing a part changes its time.
$(DATA_built): $(SQL_PARTS) sql/install $(EXTENSION).control
	cat $(SQL_PARTS) > $@

.PHONY: format
format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'test/*.cpp' 'bench/*.cpp' 'fuzz/*.cpp')
