#include "backend/history_writer.hpp"
