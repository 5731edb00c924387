# PGXS builds the extension; CMake (CMakeLists.txt) builds unit tests, benchmarks and tools.
EXTENSION  = message_center
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = message_center

# src/gateway/ is mc-gateway, a separate program built by CMake, not part of the extension.
SRCS = $(sort $(filter-out src/gateway/%,$(wildcard src/*.cpp src/*/*.cpp)))
OBJS = $(SRCS:.cpp=.o)

# Like pg_cron, one install script for the first release and then a chain of upgrade scripts:
# CREATE EXTENSION runs 0.1.0 and every step up to default_version, so a fresh install and an
# upgraded one are the same schema by construction. Each script is stitched from one SQL object
# per file, in file-name order: sql/install/ is release 0.1.0 (frozen), sql/upgrade/A--B/ the
# step from A to B.
BASE_VERSION   = 0.1.0
SQL_PARTS      = $(sort $(wildcard sql/install/*.sql))
UPGRADE_STEPS  = $(notdir $(wildcard sql/upgrade/*--*))
UPGRADE_SCRIPTS = $(foreach step,$(UPGRADE_STEPS),sql/$(EXTENSION)--$(step).sql)
DATA_built = sql/$(EXTENSION)--$(BASE_VERSION).sql $(UPGRADE_SCRIPTS)
EXTRA_CLEAN = $(DATA_built)

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# -isystem keeps -Wextra about our code, not PostgreSQL's headers.
PG_CPPFLAGS = -isystem $(PG_INCLUDE_SERVER) -Isrc
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -fvisibility=hidden \
              -fno-omit-frame-pointer
# libpq: connection strings are parsed by libpq itself (src/control/conninfo.cpp).
SHLIB_LINK  = -lstdc++ -lpq
PG_CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# This PGXS builds LLVM bitcode with clang and does not pass PG_CXXFLAGS to it.
COMPILE.cxx.bc += $(PG_CXXFLAGS)

# The directory too: adding or removing a part changes its time.
sql/$(EXTENSION)--$(BASE_VERSION).sql: $(SQL_PARTS) sql/install
	cat $(SQL_PARTS) > $@

.SECONDEXPANSION:
$(UPGRADE_SCRIPTS): sql/$(EXTENSION)--%.sql: $$(sort $$(wildcard sql/upgrade/%/*.sql)) sql/upgrade/%
	cat $(sort $(wildcard sql/upgrade/$*/*.sql)) > $@

.PHONY: format
format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'test/*.cpp' 'bench/*.cpp' 'fuzz/*.cpp')
