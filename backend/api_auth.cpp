#include "backend/api_auth.hpp"
