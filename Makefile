# PGXS builds the extension; CMake (CMakeLists.txt) builds unit tests, benchmarks and tools.
EXTENSION  = message_center
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" $(EXTENSION).control)
MODULE_big = message_center

# src/gateway/ is mc-gateway, a separate program built by CMake, not part of the extension.
# src/delivery/ is the PostgreSQL-free delivery core, linked into the sender workers
# (src/sender/); it needs libcurl, libcrypto and libopendkim (SHLIB_LINK below).
SRCS = $(sort $(filter-out src/gateway/%,$(wildcard src/*.cpp src/*/*.cpp)))
OBJS = $(SRCS:.cpp=.o)

# SQL (sql/README.md): one current source file per object, listed in order by sql/install.list
# and concatenated into the install script of default_version (the pgvector model). Released
# scripts (sql/released/) were generated once from what was released and never change; the
# next release's upgrade step, sql/upgrade/A--B.sql, is written by hand and may pull in current
# files with "\ir <path>" lines (sql/stitch.sh).
MC_INSTALL_SQL  = sql/$(EXTENSION)--$(EXTVERSION).sql
SQL_SOURCES     = $(shell grep -v -e '^\#' -e '^[[:space:]]*$$' sql/install.list | sed 's|^|sql/|')
UPGRADE_STEPS   = $(notdir $(basename $(wildcard sql/upgrade/*--*.sql)))
UPGRADE_SCRIPTS = $(foreach step,$(UPGRADE_STEPS),sql/$(EXTENSION)--$(step).sql)
DATA            = $(wildcard sql/released/*.sql)
DATA_built      = $(MC_INSTALL_SQL) $(UPGRADE_SCRIPTS)
EXTRA_CLEAN     = $(DATA_built)

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# -isystem keeps -Wextra about our code, not PostgreSQL's headers.
PG_CPPFLAGS = -isystem $(PG_INCLUDE_SERVER) -Isrc
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -fvisibility=hidden \
              -fno-omit-frame-pointer
# libpq: connection strings are parsed by libpq itself (src/control/conninfo.cpp).
SHLIB_LINK  = -lstdc++ -lpq $(shell pkg-config --libs libcurl opendkim libcrypto)
PG_CPPFLAGS += -I$(shell $(PG_CONFIG) --includedir) $(shell pkg-config --cflags libcurl opendkim)
# make SANITIZE=undefined (scripts/robustness.sh ubsan): UndefinedBehaviorSanitizer, whose
# runtime loads with the extension (no preloading into the server).
ifneq ($(SANITIZE),)
PG_CXXFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all
SHLIB_LINK  += -fsanitize=$(SANITIZE)
endif
# make WERROR=1 (CI): a warning fails the build.
ifeq ($(WERROR),1)
PG_CXXFLAGS += -Werror
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Header dependencies (Debian's PostgreSQL is built without --enable-depend): an object is
# rebuilt when a header it includes changes, not only its own source.
override CXXFLAGS += -MMD -MP
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

# This PGXS builds LLVM bitcode with clang and does not pass PG_CXXFLAGS to it.
COMPILE.cxx.bc += $(PG_CXXFLAGS)

$(MC_INSTALL_SQL): sql/install.list sql/stitch.sh $(SQL_SOURCES)
	sql/stitch.sh list sql/install.list > $@

# An upgrade step depends on every current source (what it includes may be any of them).
$(UPGRADE_SCRIPTS): sql/$(EXTENSION)--%.sql: sql/upgrade/%.sql sql/stitch.sh $(SQL_SOURCES)
	sql/stitch.sh step $< > $@

# mc-gateway (src/gateway/) is built by CMake, not PGXS: `make` builds it in build/ (the tree
# scripts/build.sh configures too; an existing cache keeps its build type), `make install`
# copies it into $(bindir), pg_config --bindir, next to PostgreSQL's programs. WERROR=1 turns
# on -DMC_WERROR for it as well. `make clean` leaves build/ alone.
MC_CMAKE_FLAGS = $(if $(filter 1,$(WERROR)),-DMC_WERROR=ON)
.PHONY: mc-gateway install-mc-gateway uninstall-mc-gateway
all: mc-gateway
# Under `make -jN` the build joins make's job server (the + passes it on); under plain `make` it
# runs one job per core by itself (a -j of its own under a job server would make GNU make warn
# and give the build jobs of its own beside make's).
MC_GATEWAY_JOBS = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$$(nproc))
mc-gateway:
	cmake -S . -B build $(MC_CMAKE_FLAGS) >/dev/null
	+cmake --build build --target mc-gateway $(MC_GATEWAY_JOBS)
install: install-mc-gateway
install-mc-gateway: mc-gateway
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(INSTALL_PROGRAM) build/mc-gateway '$(DESTDIR)$(bindir)/mc-gateway'
uninstall: uninstall-mc-gateway
uninstall-mc-gateway:
	rm -f '$(DESTDIR)$(bindir)/mc-gateway'

# A full install script of another version that no release ships (an earlier build's
# message_center--<old default>.sql) would make CREATE EXTENSION ... VERSION '<old>' skip the
# released chain and install what that old build happened to contain; ALTER EXTENSION UPDATE
# from it then fails. Such leftovers are removed at install.
MC_SHIPPED_SCRIPTS = $(notdir $(DATA) $(DATA_built))
install: install-remove-stale-scripts
.PHONY: install-remove-stale-scripts
install-remove-stale-scripts:
	@for f in '$(DESTDIR)$(datadir)/extension/$(EXTENSION)'--*.sql; do \
	  n=$$(basename "$$f"); \
	  case " $(MC_SHIPPED_SCRIPTS) " in *" $$n "*) ;; *) [ -e "$$f" ] && echo "removing stale $$n" && rm -f "$$f" ;; esac; \
	done; true

.PHONY: format
format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'test/*.cpp' 'bench/*.cpp' 'fuzz/*.cpp')
