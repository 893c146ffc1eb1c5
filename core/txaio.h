// txaio-cpp: write asynchronous code once, run it on whichever event loop the
// application picked. This header includes the whole portable API.
#ifndef TXAIO_CORE_TXAIO_H_
#define TXAIO_CORE_TXAIO_H_

#include "core/api.h"
#include "core/batched_timer.h"
#include "core/compose.h"
#include "core/coroutine.h"
#include "core/delay.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/gather.h"
#include "core/logging.h"
#include "core/loop.h"
#include "core/time.h"
#include "core/unhandled.h"

#endif  // TXAIO_CORE_TXAIO_H_
