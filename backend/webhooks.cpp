#include "backend/webhooks.hpp"
