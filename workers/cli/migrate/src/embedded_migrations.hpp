#pragma once

// The generated embedded_migrations.cpp (see CMakeLists.txt) defines EmbeddedMigrationFiles(),
// declared in the public migration_source.hpp.
#include "paypipe/cli/migrate/migration_source.hpp"
