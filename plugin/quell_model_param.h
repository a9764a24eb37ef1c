/* quell_model_param.h — the LV2 `model` parameter: a .qwb chosen in the host (patch:Set on the
 * control atom port, or restored from saved state) replaces the running model without a glitch.
 *
 * How: run() reads patch messages and hands the path to the host's worker thread
 * (LV2 worker extension); the worker loads and validates the file and prepares the engine's
 * network state for it (quell_engine_model_prepare); the audio thread takes the result at its
 * next run() with one pointer swap and hands the replaced model back to the worker to free.
 * A bad file keeps the current model and logs one line (from the worker). The active model is
 * reported on the notify port as patch:Set of `model` (path; empty = shipped) and `model_info`
 * (name and CRC), at the first run, after every change or refusal, and on patch:Get. LV2 state
 * saves the path (state:mapPath, state:freePath) and restores it synchronously, so a session
 * reopens with its model active before the first run().
 *
 * Threads: create/destroy/restore are instantiation class; run and work_response audio class
 * (no allocation, lock, log or I/O); work runs on the host's worker thread; save may run
 * concurrently with run (it and the worker's frees share a mutex the audio thread never takes). */
#ifndef QUELL_MODEL_PARAM_H
#define QUELL_MODEL_PARAM_H

#include <stddef.h>
#include <stdint.h>

#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include "../dsp/quell.h"

typedef struct QuellModelParam QuellModelParam;

/* Binds the parameter to `engine`, whose current model was loaded from shipped_path (what an
 * empty path returns to). map may be NULL (then no atom ports are read or written); schedule may
 * be NULL (then patch:Set is ignored: the model changes only through state restore); log may be
 * NULL (stderr). NULL with one line in err when out of memory. */
QuellModelParam *quell_model_param_create(QuellEngine *engine, const char *shipped_path,
                                          LV2_URID_Map *map, LV2_Worker_Schedule *schedule,
                                          const LV2_Log_Log *log, char *err, size_t err_len);
/* Frees everything the parameter holds (the engine keeps and frees its current model). */
void quell_model_param_destroy(QuellModelParam *param);

/* Connects the atom port QUELL_ATOM_CONTROL or QUELL_ATOM_NOTIFY (NULL allowed). */
void quell_model_param_connect(QuellModelParam *param, uint32_t atom_port, void *data);

/* Audio class, at the start of every run(): takes a model the worker prepared, reads the control
 * port's messages, writes the notify port. */
void quell_model_param_run(QuellModelParam *param);

/* LV2 worker interface callbacks (plugin/lv2.c forwards them). */
LV2_Worker_Status quell_model_param_work(QuellModelParam *param, LV2_Worker_Respond_Function respond,
                                         LV2_Worker_Respond_Handle handle, uint32_t size,
                                         const void *data);
LV2_Worker_Status quell_model_param_work_response(QuellModelParam *param, uint32_t size,
                                                  const void *data);

/* LV2 state interface callbacks. */
LV2_State_Status quell_model_param_save(QuellModelParam *param, LV2_State_Store_Function store,
                                        LV2_State_Handle handle, uint32_t flags,
                                        const LV2_Feature *const *features);
LV2_State_Status quell_model_param_restore(QuellModelParam *param,
                                           LV2_State_Retrieve_Function retrieve,
                                           LV2_State_Handle handle, uint32_t flags,
                                           const LV2_Feature *const *features);

#endif
