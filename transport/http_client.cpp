#include "transport/http_client.hpp"
