#include "backend/webhook_dispatcher.hpp"
