#include "backend/history_queries.hpp"
