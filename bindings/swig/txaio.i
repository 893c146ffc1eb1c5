/* SWIG interface over the C ABI (bindings/c/txaio.h) for Perl 5: the
 * module `Txaio`.
 *
 * What SWIG wraps directly is txaio.h itself; this file only adapts it to
 * Perl:
 *  - a txaio_status other than TXAIO_OK dies with
 *    "TXAIO_ERR_...: function: reason" (catch it with eval);
 *  - out-parameters become return values (handles as objects, numbers and
 *    strings as scalars), so `my $loop = Txaio::loop_new_manual();`;
 *  - handles are objects released by Perl's reference counting (the
 *    txaio_*_destroy functions are not exposed), which the C ABI allows in
 *    any order: a loop lives on while futures made on it do;
 *  - the functions taking C callbacks or `void*` values are replaced by
 *    shims below that take Perl code refs and scalars: a future's value is a
 *    copy of any Perl scalar (references included), held by the future.
 *  - names lose their txaio_ prefix: txaio_future_resolve is
 *    Txaio::future_resolve.
 *
 *   use Txaio;
 *   my $loop = Txaio::loop_new_manual();
 *   my $f = Txaio::future_new($loop);
 *   Txaio::future_add_callbacks($f, sub { print "got $_[0]\n" },
 *       sub { print Txaio::failure_message($_[0]), "\n" });
 *   Txaio::future_resolve($f, 42);
 *   Txaio::loop_run_until_idle($loop);      # prints "got 42"
 *
 * Callbacks run on the thread running the loop, which must be the Perl
 * interpreter's thread, so call_soon_threadsafe is not offered. A callback
 * that dies fails as txaio's callbacks do: a future callback's error goes to
 * the errback of its pair, a batched call's to the timer's error handler,
 * and a plain call's (call_soon, call_later) is reported with warn().
 */
%module "Txaio"

%{
#include "txaio.h"
%}

%rename("%(strip:[txaio_])s") "";

/* ---------------------------------------------------------- errors */

%typemap(out) txaio_status {
  if ($1 != TXAIO_OK) {
    sv_setpvf(get_sv("@", GV_ADD), "%s: %s", txaio_status_name($1),
              txaio_last_error());
    SWIG_fail;
  }
}

/* ---------------------------------------------------------- handles */

/* Every handle is an object whose destructor is the txaio_*_destroy. */
%define TXAIO_HANDLE(TYPE)
%nodefaultctor TYPE;
struct TYPE {};
%extend TYPE {
  ~TYPE() { TYPE##_destroy($self); }
}
%ignore TYPE##_destroy;
%typemap(in, numinputs=0) TYPE** out (TYPE* tmp = NULL) { $1 = ($1_ltype)&tmp; }
%typemap(argout) TYPE** out {
  $result = SWIG_NewPointerObj(tmp$argnum, $descriptor(TYPE*),
                               SWIG_OWNER | SWIG_SHADOW);
  argvi++;
}
%enddef

TXAIO_HANDLE(txaio_loop)
TXAIO_HANDLE(txaio_future)
TXAIO_HANDLE(txaio_failure)
TXAIO_HANDLE(txaio_delayed_call)
TXAIO_HANDLE(txaio_batched_timer)
TXAIO_HANDLE(txaio_batched_call)
TXAIO_HANDLE(txaio_logger)

/* ---------------------------------------------------------- scalar outs */

%include "stdint.i"
%include "typemaps.i"
%apply int* OUTPUT { int* out, int* cancelled, int* was_pending, int* removed };
%apply double* OUTPUT { double* out };
%typemap(in, numinputs=0) size_t* out (size_t tmp = 0), size_t* ran (size_t tmp = 0) {
  $1 = ($1_ltype)&tmp;
}
%typemap(argout) size_t* out, size_t* ran {
  $result = sv_2mortal(newSVuv((UV)tmp$argnum));
  argvi++;
}
%typemap(in, numinputs=0) int64_t* out (int64_t tmp = 0) { $1 = ($1_ltype)&tmp; }
%typemap(argout) int64_t* out {
  $result = sv_2mortal(newSViv((IV)tmp$argnum));
  argvi++;
}
%typemap(in, numinputs=0) const char** out (const char* tmp = NULL),
                          const char** symbol (const char* tmp = NULL) {
  $1 = ($1_ltype)&tmp;
}
%typemap(argout) const char** out, const char** symbol {
  $result = sv_2mortal(newSVpv(tmp$argnum, 0));
  argvi++;
}
%typemap(in, numinputs=0) const void** address (const void* tmp = NULL) {
  $1 = ($1_ltype)&tmp;
}
%typemap(argout) const void** address {
  $result = sv_2mortal(newSVuv(PTR2UV(tmp$argnum)));
  argvi++;
}
%typemap(in, numinputs=0) txaio_log_level* out (txaio_log_level tmp) {
  $1 = &tmp;
}
%typemap(argout) txaio_log_level* out {
  $result = sv_2mortal(newSViv((IV)tmp$argnum));
  argvi++;
}
%typemap(in, numinputs=0) uint64_t* id (uint64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint64_t* id {
  $result = sv_2mortal(newSVuv((UV)tmp$argnum));
  argvi++;
}
%typemap(in, numinputs=0) txaio_future_state* out (txaio_future_state tmp) {
  $1 = ($1_ltype)&tmp;
}
%typemap(argout) txaio_future_state* out {
  $result = sv_2mortal(newSViv((IV)tmp$argnum));
  argvi++;
}
%typemap(out) int64_t { $result = sv_2mortal(newSViv((IV)$1)); argvi++; }

/* Perl values in and out: any scalar, copied. */
%typemap(in) SV* "$1 = $input;";
%typemap(in, numinputs=0) SV** out (SV* tmp = NULL) { $1 = ($1_ltype)&tmp; }
%typemap(argout) SV** out {
  $result = tmp$argnum != NULL ? sv_2mortal(tmp$argnum) : &PL_sv_undef;
  argvi++;
}

/* ---------------------------------------------------------- replaced C API */

/* Functions taking C callbacks or raw `void*` values, replaced below. */
%ignore txaio_loop_call_soon;
%ignore txaio_loop_call_soon_threadsafe;
%ignore txaio_call_later;
%ignore txaio_set_unhandled_failure_handler;
%ignore txaio_future_new;
%ignore txaio_future_new_success;
%ignore txaio_future_resolve;
%ignore txaio_future_add_callbacks;
%ignore txaio_future_result;
%ignore txaio_as_future;
%ignore txaio_gather;
%ignore txaio_gather_results_size;
%ignore txaio_gather_results_get;
%ignore txaio_batched_timer_call_later;
%ignore txaio_batched_timer_set_error_handler;
%ignore txaio_gather_results;
%ignore txaio_logger_log;
%ignore txaio_logger_failure;
%ignore txaio_add_log_observer;
%ignore txaio_add_log_categories;
%ignore txaio_log_field;
%ignore txaio_log_field_value;
%ignore txaio_log_field::value;

%include "txaio.h"

%wrapper %{
/* Values and callback state are Perl SVs; their destructor drops the
 * reference txaio held. */
static void txaio_perl_release(void* sv) {
  dTHX;
  if (sv != NULL) SvREFCNT_dec((SV*)sv);
}

/* A new reference on a copy of `value` (undef for NULL). */
static SV* txaio_perl_copy(pTHX_ SV* value) {
  return value != NULL ? newSVsv(value) : newSV(0);
}

/* A Perl object owning a copy of a borrowed failure. */
static SV* txaio_perl_failure_sv(pTHX_ const txaio_failure* failure) {
  txaio_failure* copy = NULL;
  if (txaio_failure_copy(failure, &copy) != TXAIO_OK) return newSV(0);
  return SvREFCNT_inc(SWIG_NewPointerObj(copy, SWIGTYPE_p_txaio_failure,
                                         SWIG_OWNER | SWIG_SHADOW));
}

/* What died in Perl, as a txaio failure (code 0, message $@ without its
 * trailing newline). */
static txaio_failure* txaio_perl_error_failure(pTHX) {
  STRLEN len = 0;
  const char* text = SvPV(ERRSV, len);
  char* message = (char*)malloc(len + 1);
  txaio_failure* failure = NULL;
  if (message == NULL) return NULL;
  memcpy(message, text, len);
  while (len > 0 && message[len - 1] == '\n') len--;
  message[len] = '\0';
  txaio_failure_new(0, message, &failure);
  free(message);
  return failure;
}

/* Calls `fn` with the given (new, owned) arguments, under eval. Returns the
 * failure if it died, else NULL. */
static txaio_failure* txaio_perl_call(pTHX_ SV* fn, SV** args, int nargs) {
  txaio_failure* failed = NULL;
  int i;
  dSP;
  ENTER;
  SAVETMPS;
  PUSHMARK(SP);
  for (i = 0; i < nargs; ++i) XPUSHs(sv_2mortal(args[i]));
  PUTBACK;
  call_sv(fn, G_DISCARD | G_EVAL);
  if (SvTRUE(ERRSV)) failed = txaio_perl_error_failure(aTHX);
  FREETMPS;
  LEAVE;
  return failed;
}

/* A plain call (call_soon, call_later): nobody can take its error. */
static void txaio_perl_plain_call(void* state) {
  dTHX;
  txaio_failure* failed = txaio_perl_call(aTHX_ (SV*)state, NULL, 0);
  if (failed != NULL) {
    const char* message = "";
    txaio_failure_message(failed, &message);
    warn("txaio: a call died: %s\n", message);
    txaio_failure_destroy(failed);
  }
}

static txaio_failure* txaio_perl_batched_call(void* state) {
  dTHX;
  return txaio_perl_call(aTHX_ (SV*)state, NULL, 0);
}

typedef struct {
  SV* callback; /* NULL when absent */
  SV* errback;
} txaio_perl_pair;

static void txaio_perl_pair_release(void* state) {
  dTHX;
  txaio_perl_pair* pair = (txaio_perl_pair*)state;
  if (pair->callback != NULL) SvREFCNT_dec(pair->callback);
  if (pair->errback != NULL) SvREFCNT_dec(pair->errback);
  free(pair);
}

static txaio_failure* txaio_perl_on_value(void* state, void* value) {
  dTHX;
  SV* arg = txaio_perl_copy(aTHX_ (SV*)value);
  return txaio_perl_call(aTHX_ ((txaio_perl_pair*)state)->callback, &arg, 1);
}

static void txaio_perl_on_failure(void* state, const txaio_failure* failure) {
  dTHX;
  SV* arg = txaio_perl_failure_sv(aTHX_ failure);
  txaio_failure* failed =
      txaio_perl_call(aTHX_ ((txaio_perl_pair*)state)->errback, &arg, 1);
  if (failed != NULL) {
    const char* message = "";
    txaio_failure_message(failed, &message);
    warn("txaio: an errback died: %s\n", message);
    txaio_failure_destroy(failed);
  }
}

static void txaio_perl_unhandled(void* state, const txaio_failure* failure) {
  dTHX;
  SV* arg = txaio_perl_failure_sv(aTHX_ failure);
  txaio_failure* failed = txaio_perl_call(aTHX_ (SV*)state, &arg, 1);
  if (failed != NULL) txaio_failure_destroy(failed);
}

static void txaio_perl_canceller(void* state, txaio_future* future) {
  dTHX;
  txaio_future* copy = NULL;
  SV* arg;
  txaio_failure* failed;
  if (txaio_future_copy(future, &copy) != TXAIO_OK) return;
  arg = SvREFCNT_inc(SWIG_NewPointerObj(copy, SWIGTYPE_p_txaio_future,
                                        SWIG_OWNER | SWIG_SHADOW));
  failed = txaio_perl_call(aTHX_ (SV*)state, &arg, 1);
  if (failed != NULL) {
    const char* message = "";
    txaio_failure_message(failed, &message);
    warn("txaio: a canceller died: %s\n", message);
    txaio_failure_destroy(failed);
  }
}

static void txaio_perl_batch_errors(void* state,
                                    const txaio_failure* const* failures,
                                    size_t count) {
  dTHX;
  AV* list = newAV();
  SV* arg;
  size_t i;
  txaio_failure* failed;
  for (i = 0; i < count; ++i) {
    av_push(list, txaio_perl_failure_sv(aTHX_ failures[i]));
  }
  arg = newRV_noinc((SV*)list);
  failed = txaio_perl_call(aTHX_ (SV*)state, &arg, 1);
  if (failed != NULL) txaio_failure_destroy(failed);
}

static SV* txaio_perl_code(pTHX_ SV* fn) {
  return (fn != NULL && SvOK(fn)) ? newSVsv(fn) : NULL;
}

/* The shims Perl sees instead of the C functions above. */

txaio_status txaio_perl_call_soon(txaio_loop* loop, SV* fn) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_loop_call_soon(loop, code != NULL ? txaio_perl_plain_call : NULL,
                              code, txaio_perl_release);
}

txaio_status txaio_perl_call_later(txaio_loop* loop, double seconds, SV* fn,
                                   txaio_delayed_call** out) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_call_later(loop, seconds,
                          code != NULL ? txaio_perl_plain_call : NULL, code,
                          txaio_perl_release, out);
}

txaio_status txaio_perl_set_unhandled_failure_handler(SV* fn) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_set_unhandled_failure_handler(
      code != NULL ? txaio_perl_unhandled : NULL, code, txaio_perl_release);
}

txaio_status txaio_perl_future_new(txaio_loop* loop, txaio_future** out,
                                   SV* canceller) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ canceller);
  return txaio_future_new(loop, code != NULL ? txaio_perl_canceller : NULL,
                          code, txaio_perl_release, out);
}

txaio_status txaio_perl_future_new_success(txaio_loop* loop, SV* value,
                                           txaio_future** out) {
  dTHX;
  return txaio_future_new_success(loop, txaio_perl_copy(aTHX_ value),
                                  txaio_perl_release, out);
}

txaio_status txaio_perl_future_resolve(txaio_future* future, SV* value) {
  dTHX;
  return txaio_future_resolve(future, txaio_perl_copy(aTHX_ value),
                              txaio_perl_release);
}

txaio_status txaio_perl_future_add_callbacks(txaio_future* future,
                                             SV* callback, SV* errback) {
  dTHX;
  txaio_perl_pair* pair = (txaio_perl_pair*)malloc(sizeof *pair);
  if (pair == NULL) return TXAIO_ERR_NO_MEMORY;
  pair->callback = txaio_perl_code(aTHX_ callback);
  pair->errback = txaio_perl_code(aTHX_ errback);
  return txaio_future_add_callbacks(
      future, pair->callback != NULL ? txaio_perl_on_value : NULL,
      pair->errback != NULL ? txaio_perl_on_failure : NULL, pair,
      txaio_perl_pair_release);
}

txaio_status txaio_perl_future_result(txaio_future* future, SV** out) {
  dTHX;
  void* value = NULL;
  txaio_status status = txaio_future_result(future, &value);
  if (status == TXAIO_OK) *out = txaio_perl_copy(aTHX_ (SV*)value);
  return status;
}

typedef struct {
  SV* fn;
} txaio_perl_as_future_state;

static txaio_failure* txaio_perl_as_future_call(void* state, void** value,
                                                txaio_destroy_fn* destroy) {
  dTHX;
  txaio_perl_as_future_state* s = (txaio_perl_as_future_state*)state;
  txaio_failure* failed = NULL;
  int count;
  dSP;
  ENTER;
  SAVETMPS;
  PUSHMARK(SP);
  PUTBACK;
  count = call_sv(s->fn, G_SCALAR | G_EVAL);
  SPAGAIN;
  if (SvTRUE(ERRSV)) {
    failed = txaio_perl_error_failure(aTHX);
  } else if (count == 1) {
    *value = newSVsv(POPs);
    *destroy = txaio_perl_release;
  }
  PUTBACK;
  FREETMPS;
  LEAVE;
  return failed;
}

txaio_status txaio_perl_as_future(txaio_loop* loop, SV* fn,
                                  txaio_future** out) {
  dTHX;
  txaio_perl_as_future_state state;
  state.fn = txaio_perl_code(aTHX_ fn);
  if (state.fn == NULL) {
    return txaio_as_future(loop, NULL, NULL, NULL, out);
  }
  {
    txaio_status status =
        txaio_as_future(loop, txaio_perl_as_future_call, &state, NULL, out);
    SvREFCNT_dec(state.fn);
    return status;
  }
}

/* Logging: fields from a hash ref (integers, numbers, else strings). */
static txaio_status txaio_perl_log(txaio_logger* logger, int level,
                                   const char* format,
                                   const txaio_failure* failure, SV* fields) {
  dTHX;
  HV* hash = NULL;
  txaio_log_field* list = NULL;
  size_t count = 0;
  txaio_status status;
  HE* entry;
  if (fields != NULL && SvOK(fields)) {
    if (!SvROK(fields) || SvTYPE(SvRV(fields)) != SVt_PVHV) {
      croak("log: fields must be a hash reference");
    }
    hash = (HV*)SvRV(fields);
    list = (txaio_log_field*)calloc(HvUSEDKEYS(hash) + 1, sizeof *list);
    if (list == NULL) return TXAIO_ERR_NO_MEMORY;
    hv_iterinit(hash);
    while ((entry = hv_iternext(hash)) != NULL) {
      SV* value = hv_iterval(hash, entry);
      txaio_log_field* f = &list[count++];
      f->name = HePV(entry, PL_na);
      if (SvIOK(value)) {
        f->type = TXAIO_FIELD_INT;
        f->value.i = (int64_t)SvIV(value);
      } else if (SvNOK(value)) {
        f->type = TXAIO_FIELD_DOUBLE;
        f->value.d = SvNV(value);
      } else {
        f->type = TXAIO_FIELD_STRING;
        f->value.s = SvPV_nolen(value);
      }
    }
  }
  status = failure != NULL
               ? txaio_logger_failure(logger, format, failure, list, count)
               : txaio_logger_log(logger, (txaio_log_level)level, format, list,
                                  count);
  free(list);
  return status;
}

txaio_status txaio_perl_logger_log(txaio_logger* logger, int level,
                                   const char* format, SV* fields) {
  return txaio_perl_log(logger, level, format, NULL, fields);
}

txaio_status txaio_perl_logger_failure(txaio_logger* logger,
                                       const char* format,
                                       const txaio_failure* failure,
                                       SV* fields) {
  if (failure == NULL) return txaio_logger_failure(logger, format, NULL, NULL, 0);
  return txaio_perl_log(logger, TXAIO_LOG_ERROR, format, failure, fields);
}

static void txaio_perl_observe(void* state, txaio_log_level level,
                               const char* log_namespace, const char* text,
                               const txaio_failure* failure) {
  dTHX;
  SV* args[4];
  txaio_failure* failed;
  args[0] = newSViv((IV)level);
  args[1] = newSVpv(log_namespace, 0);
  args[2] = newSVpv(text, 0);
  args[3] = failure != NULL ? txaio_perl_failure_sv(aTHX_ failure) : newSV(0);
  failed = txaio_perl_call(aTHX_ (SV*)state, args, 4);
  if (failed != NULL) txaio_failure_destroy(failed);
}

txaio_status txaio_perl_add_log_observer(SV* fn, uint64_t* id) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_add_log_observer(code != NULL ? txaio_perl_observe : NULL, code,
                                txaio_perl_release, id);
}

/* gather: the C gathered future carries a txaio_gather_results; a second
 * future turns it into a Perl array ref of values and failure objects. */
static txaio_failure* txaio_perl_gathered(void* state, void* value) {
  dTHX;
  const txaio_gather_results* results = (const txaio_gather_results*)value;
  size_t size = 0, i;
  AV* list = newAV();
  txaio_gather_results_size(results, &size);
  for (i = 0; i < size; ++i) {
    void* item = NULL;
    const txaio_failure* failure = NULL;
    txaio_gather_results_get(results, i, &item, &failure);
    av_push(list, failure != NULL ? txaio_perl_failure_sv(aTHX_ failure)
                                  : txaio_perl_copy(aTHX_ (SV*)item));
  }
  txaio_future_resolve((txaio_future*)state, newRV_noinc((SV*)list),
                       txaio_perl_release);
  return NULL;
}

static void txaio_perl_gather_failed(void* state,
                                     const txaio_failure* failure) {
  txaio_future_reject((txaio_future*)state, failure);
}

static void txaio_perl_future_release(void* future) {
  txaio_future_destroy((txaio_future*)future);
}

txaio_status txaio_perl_gather(txaio_loop* loop, SV* futures,
                               int consume_exceptions, txaio_future** out) {
  dTHX;
  AV* list;
  SSize_t count, i;
  txaio_future** inputs;
  txaio_future* gathered = NULL;
  txaio_future* result = NULL;
  txaio_future* keep = NULL;
  txaio_status status;
  if (!SvROK(futures) || SvTYPE(SvRV(futures)) != SVt_PVAV) {
    croak("gather: futures must be an array reference");
  }
  list = (AV*)SvRV(futures);
  count = av_len(list) + 1;
  inputs = (txaio_future**)calloc(count > 0 ? (size_t)count : 1,
                                  sizeof *inputs);
  if (inputs == NULL) return TXAIO_ERR_NO_MEMORY;
  for (i = 0; i < count; ++i) {
    SV** item = av_fetch(list, i, 0);
    void* ptr = NULL;
    if (item != NULL &&
        SWIG_IsOK(SWIG_ConvertPtr(*item, &ptr, SWIGTYPE_p_txaio_future, 0))) {
      inputs[i] = (txaio_future*)ptr;
    }
  }
  status = txaio_gather(loop, inputs, (size_t)count, consume_exceptions,
                        &gathered);
  free(inputs);
  if (status != TXAIO_OK) return status;
  status = txaio_future_new(loop, NULL, NULL, NULL, &result);
  if (status == TXAIO_OK) status = txaio_future_copy(result, &keep);
  if (status == TXAIO_OK) {
    /* `keep` is the callbacks' handle on the Perl-level future. */
    status = txaio_future_add_callbacks(gathered, txaio_perl_gathered,
                                        txaio_perl_gather_failed, keep,
                                        txaio_perl_future_release);
  }
  txaio_future_destroy(gathered);
  if (status != TXAIO_OK) {
    txaio_future_destroy(result);
    return status;
  }
  *out = result;
  return TXAIO_OK;
}

txaio_status txaio_perl_batched_call_later(txaio_batched_timer* timer,
                                           double seconds, SV* fn,
                                           txaio_batched_call** out) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_batched_timer_call_later(
      timer, seconds, code != NULL ? txaio_perl_batched_call : NULL, code,
      txaio_perl_release, out);
}

txaio_status txaio_perl_batched_set_error_handler(txaio_batched_timer* timer,
                                                  SV* fn) {
  dTHX;
  SV* code = txaio_perl_code(aTHX_ fn);
  return txaio_batched_timer_set_error_handler(
      timer, code != NULL ? txaio_perl_batch_errors : NULL, code,
      txaio_perl_release);
}
%}

/* Perl names for the shims: Txaio::call_soon, Txaio::future_resolve, ... */
%rename(call_soon) txaio_perl_call_soon;
%rename(call_later) txaio_perl_call_later;
%rename(set_unhandled_failure_handler) txaio_perl_set_unhandled_failure_handler;
%rename(future_new) txaio_perl_future_new;
%rename(future_new_success) txaio_perl_future_new_success;
%rename(future_resolve) txaio_perl_future_resolve;
%rename(future_add_callbacks) txaio_perl_future_add_callbacks;
%rename(future_result) txaio_perl_future_result;
%rename(as_future) txaio_perl_as_future;
%rename(gather) txaio_perl_gather;
%rename(batched_timer_call_later) txaio_perl_batched_call_later;
%rename(logger_log) txaio_perl_logger_log;
%rename(logger_failure) txaio_perl_logger_failure;
%rename(add_log_observer) txaio_perl_add_log_observer;
%rename(batched_timer_set_error_handler) txaio_perl_batched_set_error_handler;

txaio_status txaio_perl_call_soon(txaio_loop* loop, SV* fn);
txaio_status txaio_perl_call_later(txaio_loop* loop, double seconds, SV* fn,
                                   txaio_delayed_call** out);
txaio_status txaio_perl_set_unhandled_failure_handler(SV* fn);
txaio_status txaio_perl_future_new(txaio_loop* loop, txaio_future** out,
                                   SV* canceller = NULL);
txaio_status txaio_perl_future_new_success(txaio_loop* loop, SV* value,
                                           txaio_future** out);
txaio_status txaio_perl_future_resolve(txaio_future* future, SV* value);
txaio_status txaio_perl_future_add_callbacks(txaio_future* future,
                                             SV* callback, SV* errback = NULL);
txaio_status txaio_perl_future_result(txaio_future* future, SV** out);
txaio_status txaio_perl_as_future(txaio_loop* loop, SV* fn,
                                  txaio_future** out);
txaio_status txaio_perl_gather(txaio_loop* loop, SV* futures,
                               int consume_exceptions, txaio_future** out);
txaio_status txaio_perl_batched_call_later(txaio_batched_timer* timer,
                                           double seconds, SV* fn,
                                           txaio_batched_call** out);
txaio_status txaio_perl_batched_set_error_handler(txaio_batched_timer* timer,
                                                  SV* fn);
txaio_status txaio_perl_logger_log(txaio_logger* logger, int level,
                                   const char* format, SV* fields = NULL);
txaio_status txaio_perl_logger_failure(txaio_logger* logger,
                                       const char* format,
                                       const txaio_failure* failure,
                                       SV* fields = NULL);
txaio_status txaio_perl_add_log_observer(SV* fn, uint64_t* id);
