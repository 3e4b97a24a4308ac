#include "logs/logger.h"
