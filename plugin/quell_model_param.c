/* quell_model_param.c — the LV2 `model` parameter (see quell_model_param.h). */
#include "quell_model_param.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv2/atom/atom.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>

#include "quell_ports.h"

/* A model as the parameter knows it. While active, em is NULL (the engine holds the network
 * state); pending and retired slots own theirs. */
typedef struct {
  QuellEngineModel *em;
  char path[QUELL_MODEL_PATH_MAX]; /* as the host gave it; "" = the shipped model */
  char info[256];                  /* "name, CRC xxxxxxxx" for model_info and logs */
} QuellModelSlot;

/* Worker messages. LOAD carries the path inline (the host copies the message); FREE a slot the
 * audio thread no longer uses. Responses: LOADED (a prepared slot) or REFUSED. */
enum { QUELL_MODEL_LOAD = 1, QUELL_MODEL_FREE, QUELL_MODEL_LOADED, QUELL_MODEL_REFUSED };
typedef struct {
  uint32_t kind;
  QuellModelSlot *slot;
  char path[QUELL_MODEL_PATH_MAX];
} QuellModelMsg;
#define QUELL_MODEL_MSG_HEAD offsetof(QuellModelMsg, path)

/* Slots waiting for a worker to free them (schedule_work can fail when its queue is full). */
#define QUELL_MODEL_RETIRE_MAX 8

struct QuellModelParam {
  QuellEngine *engine;
  LV2_Worker_Schedule *schedule;
  const LV2_Log_Log *log;
  LV2_URID_Map *map;
  char shipped_path[4096];

  struct {
    LV2_URID atom_path, atom_string, atom_urid, atom_object, atom_blank, atom_resource;
    LV2_URID patch_set, patch_get, patch_property, patch_value, model, model_info, log_error,
        log_note;
  } u;
  LV2_Atom_Forge forge;
  const LV2_Atom_Sequence *control;
  LV2_Atom_Sequence *notify;

  QuellModelSlot *active;  /* read by save() on another thread: atomic loads/stores */
  QuellModelSlot *pending; /* prepared by the worker, taken at the next run() */
  QuellModelSlot *retired[QUELL_MODEL_RETIRE_MAX];
  int notify_due;
  pthread_mutex_t free_lock; /* save() vs the worker freeing a slot; never in the audio thread */
  uint64_t aligned[1024];    /* an aligned copy of a misaligned control sequence (8 KiB) */
};

/* One line to the host's log (error type), or stderr. Never from the audio thread. */
static void quell_model_param_log(const QuellModelParam *p, const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (p->log && p->u.log_error)
    p->log->printf(p->log->handle, p->u.log_error, "quell: %s\n", line);
  else
    fprintf(stderr, "quell: %s\n", line);
}

/* A note line on a model change (hosts show it in their log window, jalv on stderr), so a
 * user can see which model a session brought back; nothing without the host's log. */
static void quell_model_param_note(const QuellModelParam *p, const char *what,
                                   const char *info) {
  if (p->log && p->u.log_note)
    p->log->printf(p->log->handle, p->u.log_note, "quell: model %s: %s\n", what, info);
}

static const char *quell_model_param_basename(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* The slot's description: "<file name>, CRC xxxxxxxx" ("shipped model ..." for the default). */
static void quell_model_param_describe(QuellModelSlot *s, const char *file, const QuellModel *m) {
  /* An adapted blob (format 3) names its base model: "..., adapted from 6e40f80e". */
  const char *from = strstr(quell_model_info(m), "adapted_from=");
  int n = 0;
  if (from) {
    from += strlen("adapted_from=");
    while (n < 8 && from[n] && from[n] != '\n') n++;
  }
  snprintf(s->info, sizeof s->info, "%s%.180s, CRC %08x%s%.*s", s->path[0] ? "" : "shipped model ",
           quell_model_param_basename(file), (unsigned)quell_model_crc(m),
           n ? ", adapted from " : "", n, n ? from : "");
}

static void quell_model_param_slot_free(QuellModelSlot *s) {
  if (!s) return;
  quell_engine_model_free(s->em);
  free(s);
}

QuellModelParam *quell_model_param_create(QuellEngine *engine, const char *shipped_path,
                                          LV2_URID_Map *map, LV2_Worker_Schedule *schedule,
                                          const LV2_Log_Log *log, char *err, size_t err_len) {
  QuellModelParam *p = calloc(1, sizeof *p);
  QuellModelSlot *s = calloc(1, sizeof *s);
  if (!p || !s || strlen(shipped_path) >= sizeof p->shipped_path) {
    snprintf(err, err_len, p && s ? "model path too long" : "out of memory");
    free(p);
    free(s);
    return NULL;
  }
  pthread_mutex_init(&p->free_lock, NULL);
  p->engine = engine;
  p->schedule = schedule;
  p->log = log;
  p->map = map;
  snprintf(p->shipped_path, sizeof p->shipped_path, "%s", shipped_path);
  quell_model_param_describe(s, shipped_path, quell_engine_model(engine));
  p->active = s;
  if (map) {
    /* Every URID is mapped here: hosts' map functions may lock or allocate. */
#define QUELL_MAP(uri) map->map(map->handle, uri)
    p->u.atom_path = QUELL_MAP(LV2_ATOM__Path);
    p->u.atom_string = QUELL_MAP(LV2_ATOM__String);
    p->u.atom_urid = QUELL_MAP(LV2_ATOM__URID);
    p->u.atom_object = QUELL_MAP(LV2_ATOM__Object);
    p->u.atom_blank = QUELL_MAP(LV2_ATOM__Blank);
    p->u.atom_resource = QUELL_MAP(LV2_ATOM__Resource);
    p->u.patch_set = QUELL_MAP(LV2_PATCH__Set);
    p->u.patch_get = QUELL_MAP(LV2_PATCH__Get);
    p->u.patch_property = QUELL_MAP(LV2_PATCH__property);
    p->u.patch_value = QUELL_MAP(LV2_PATCH__value);
    p->u.model = QUELL_MAP(QUELL_URI_MODEL);
    p->u.model_info = QUELL_MAP(QUELL_URI_MODEL_INFO);
    p->u.log_error = log ? QUELL_MAP(LV2_LOG__Error) : 0;
    p->u.log_note = log ? QUELL_MAP(LV2_LOG__Note) : 0;
#undef QUELL_MAP
    lv2_atom_forge_init(&p->forge, map);
  }
  p->notify_due = 1; /* hosts learn the active model at the first run() */
  return p;
}

void quell_model_param_destroy(QuellModelParam *p) {
  if (!p) return;
  free(p->active); /* its network state belongs to the engine */
  quell_model_param_slot_free(p->pending);
  for (int i = 0; i < QUELL_MODEL_RETIRE_MAX; i++) quell_model_param_slot_free(p->retired[i]);
  pthread_mutex_destroy(&p->free_lock);
  free(p);
}

void quell_model_param_connect(QuellModelParam *p, uint32_t atom_port, void *data) {
  if (atom_port == QUELL_ATOM_CONTROL) p->control = data;
  if (atom_port == QUELL_ATOM_NOTIFY) p->notify = data;
}

/* Hands retired slots to the worker; what the queue refuses stays for the next run(). */
static void quell_model_param_flush_retired(QuellModelParam *p) {
  for (int i = 0; i < QUELL_MODEL_RETIRE_MAX; i++) {
    if (!p->retired[i] || !p->schedule) continue;
    const QuellModelMsg msg = {QUELL_MODEL_FREE, p->retired[i], {0}};
    if (p->schedule->schedule_work(p->schedule->handle, QUELL_MODEL_MSG_HEAD, &msg) ==
        LV2_WORKER_SUCCESS)
      p->retired[i] = NULL;
  }
}

static void quell_model_param_retire(QuellModelParam *p, QuellModelSlot *s) {
  for (int i = 0; i < QUELL_MODEL_RETIRE_MAX; i++)
    if (!p->retired[i]) {
      p->retired[i] = s;
      return;
    }
  /* Full only if the host never runs its worker; then keep the slot alive rather than free it
   * here (the audio thread must not) — it is leaked, which is the lesser harm. */
}

/* Makes s the engine's model (audio thread, or restore when no run() is concurrent) and
 * returns the slot it replaced, now owning the old network state. */
static QuellModelSlot *quell_model_param_apply(QuellModelParam *p, QuellModelSlot *s) {
  QuellModelSlot *old = p->active;
  old->em = quell_engine_model_swap(p->engine, s->em);
  s->em = NULL;
  __atomic_store_n(&p->active, s, __ATOMIC_RELEASE);
  p->notify_due = 1;
  return old;
}

/* patch:Set of one property with a string-like value, at frame 0. */
static void quell_model_param_forge_set(QuellModelParam *p, LV2_URID key, LV2_URID type,
                                        const char *value) {
  LV2_Atom_Forge *f = &p->forge;
  LV2_Atom_Forge_Frame frame;
  const uint32_t len = (uint32_t)strlen(value);
  if (!lv2_atom_forge_frame_time(f, 0)) return;
  if (!lv2_atom_forge_object(f, &frame, 0, p->u.patch_set)) return;
  lv2_atom_forge_key(f, p->u.patch_property);
  lv2_atom_forge_urid(f, key);
  lv2_atom_forge_key(f, p->u.patch_value);
  if (type == p->u.atom_path)
    lv2_atom_forge_path(f, value, len);
  else
    lv2_atom_forge_string(f, value, len);
  lv2_atom_forge_pop(f, &frame);
}

/* Reads one patch message from the host. */
static void quell_model_param_message(QuellModelParam *p, const LV2_Atom_Object *obj) {
  if (obj->body.otype == p->u.patch_get) {
    p->notify_due = 1;
    return;
  }
  if (obj->body.otype != p->u.patch_set) return;
  const LV2_Atom *property = NULL, *value = NULL;
  lv2_atom_object_get(obj, p->u.patch_property, &property, p->u.patch_value, &value, 0);
  if (!property || property->type != p->u.atom_urid ||
      ((const LV2_Atom_URID *)property)->body != p->u.model || !value)
    return;
  if ((value->type != p->u.atom_path && value->type != p->u.atom_string) || !p->schedule) {
    p->notify_due = 1; /* not something we take: tell the host what is still active */
    return;
  }
  /* The body is a NUL-terminated string of value->size bytes (NUL included). */
  QuellModelMsg msg;
  const char *body = (const char *)LV2_ATOM_BODY_CONST(value);
  uint32_t len = value->size;
  while (len > 0 && body[len - 1] == '\0') len--;
  msg.kind = QUELL_MODEL_LOAD;
  msg.slot = NULL;
  if (len >= sizeof msg.path) len = sizeof msg.path - 1; /* the worker refuses it by length */
  memcpy(msg.path, body, len);
  msg.path[len] = '\0';
  if (value->size > sizeof msg.path) msg.path[0] = '\x01'; /* marks "too long" for the worker */
  if (p->schedule->schedule_work(p->schedule->handle, (uint32_t)(QUELL_MODEL_MSG_HEAD + len + 1),
                                 &msg) != LV2_WORKER_SUCCESS)
    p->notify_due = 1;
}

void quell_model_param_run(QuellModelParam *p) {
  if (p->pending) {
    /* A frame boundary for the network: the engine runs whole frames inside process(). */
    quell_model_param_retire(p, quell_model_param_apply(p, p->pending));
    p->pending = NULL;
  }
  quell_model_param_flush_retired(p);
  if (!p->map) return;
  if (p->control) {
    const LV2_Atom_Sequence *seq = p->control;
    if ((uintptr_t)seq & 7u) {
      /* Events hold 64-bit times, so a sequence must be 8-byte aligned; jalv 1.6.6 hands one
       * at a 4-byte offset. Read such a sequence from an aligned copy (no allocation). */
      LV2_Atom head;
      memcpy(&head, seq, sizeof head);
      const size_t total = sizeof head + head.size;
      if (total <= sizeof p->aligned) memcpy(p->aligned, seq, total);
      seq = total <= sizeof p->aligned ? (const LV2_Atom_Sequence *)(const void *)p->aligned : NULL;
    }
    if (seq) LV2_ATOM_SEQUENCE_FOREACH(seq, ev) {
      const LV2_Atom *a = &ev->body;
      if (a->type == p->u.atom_object || a->type == p->u.atom_blank ||
          a->type == p->u.atom_resource)
        quell_model_param_message(p, (const LV2_Atom_Object *)a);
    }
  }
  if (p->notify) {
    /* The host set atom.size to the buffer's capacity; write a (possibly empty) sequence. */
    const uint32_t capacity = p->notify->atom.size;
    LV2_Atom_Forge_Frame seq;
    lv2_atom_forge_set_buffer(&p->forge, (uint8_t *)p->notify, capacity);
    if (lv2_atom_forge_sequence_head(&p->forge, &seq, 0)) {
      if (p->notify_due) {
        const QuellModelSlot *s = p->active;
        quell_model_param_forge_set(p, p->u.model, p->u.atom_path, s->path);
        quell_model_param_forge_set(p, p->u.model_info, p->u.atom_string, s->info);
        p->notify_due = 0;
      }
      lv2_atom_forge_pop(&p->forge, &seq);
    }
  }
}

/* Loads and prepares the model at path ("" = shipped). Worker or instantiation thread. NULL
 * with one line in err (naming the file) when refused. */
static QuellModelSlot *quell_model_param_load(QuellModelParam *p, const char *path, char *err,
                                              size_t err_len) {
  char why[512];
  if (path[0] == '\x01') {
    snprintf(err, err_len, "model path longer than %d bytes", QUELL_MODEL_PATH_MAX - 1);
    return NULL;
  }
  const char *file = path[0] ? path : p->shipped_path;
  QuellModel *m = quell_model_load_file(file, why, sizeof why);
  if (!m) {
    snprintf(err, err_len, "%s", why); /* the loader names the file */
    return NULL;
  }
  QuellModelSlot *s = calloc(1, sizeof *s);
  if (!s) {
    quell_model_free(m);
    snprintf(err, err_len, "out of memory loading '%.400s'", file);
    return NULL;
  }
  s->em = quell_engine_model_prepare(p->engine, m, why, sizeof why);
  if (!s->em) {
    quell_model_free(m);
    free(s);
    snprintf(err, err_len, "%.400s: %.380s", file, why);
    return NULL;
  }
  snprintf(s->path, sizeof s->path, "%s", path);
  quell_model_param_describe(s, file, m);
  return s;
}

LV2_Worker_Status quell_model_param_work(QuellModelParam *p, LV2_Worker_Respond_Function respond,
                                         LV2_Worker_Respond_Handle handle, uint32_t size,
                                         const void *data) {
  QuellModelMsg msg;
  if (size < QUELL_MODEL_MSG_HEAD || size > sizeof msg) return LV2_WORKER_ERR_UNKNOWN;
  memcpy(&msg, data, size);
  if (msg.kind == QUELL_MODEL_FREE) {
    pthread_mutex_lock(&p->free_lock);
    quell_model_param_slot_free(msg.slot);
    pthread_mutex_unlock(&p->free_lock);
    return LV2_WORKER_SUCCESS;
  }
  if (msg.kind != QUELL_MODEL_LOAD || size == QUELL_MODEL_MSG_HEAD) return LV2_WORKER_ERR_UNKNOWN;
  msg.path[size - QUELL_MODEL_MSG_HEAD - 1] = '\0';
  char err[800];
  QuellModelMsg reply = {QUELL_MODEL_LOADED, NULL, {0}};
  reply.slot = quell_model_param_load(p, msg.path, err, sizeof err);
  if (!reply.slot) {
    /* The active slot cannot be freed meanwhile: frees go through this same thread. */
    const QuellModelSlot *active = __atomic_load_n(&p->active, __ATOMIC_ACQUIRE);
    quell_model_param_log(p, "model not loaded, keeping %s: %s", active->info, err);
    reply.kind = QUELL_MODEL_REFUSED;
  } else {
    quell_model_param_note(p, "loaded, active from the next run()", reply.slot->info);
  }
  if (respond(handle, QUELL_MODEL_MSG_HEAD, &reply) != LV2_WORKER_SUCCESS) {
    quell_model_param_slot_free(reply.slot); /* never reached the audio thread */
    return LV2_WORKER_ERR_NO_SPACE;
  }
  return LV2_WORKER_SUCCESS;
}

LV2_Worker_Status quell_model_param_work_response(QuellModelParam *p, uint32_t size,
                                                  const void *data) {
  QuellModelMsg msg;
  if (size != QUELL_MODEL_MSG_HEAD) return LV2_WORKER_ERR_UNKNOWN;
  memcpy(&msg, data, size);
  if (msg.kind == QUELL_MODEL_REFUSED) {
    p->notify_due = 1; /* the host's view of the parameter goes back to the active file */
  } else if (msg.kind == QUELL_MODEL_LOADED && msg.slot) {
    /* Taken at the next run(); a newer load overtakes one not yet taken. */
    if (p->pending) quell_model_param_retire(p, p->pending);
    p->pending = msg.slot;
  }
  return LV2_WORKER_SUCCESS;
}

static const void *quell_model_param_feature(const LV2_Feature *const *features, const char *uri) {
  for (size_t i = 0; features && features[i]; i++)
    if (!strcmp(features[i]->URI, uri)) return features[i]->data;
  return NULL;
}

LV2_State_Status quell_model_param_save(QuellModelParam *p, LV2_State_Store_Function store,
                                        LV2_State_Handle handle, uint32_t flags,
                                        const LV2_Feature *const *features) {
  (void)flags;
  if (!p->map) return LV2_STATE_ERR_NO_FEATURE;
  char path[QUELL_MODEL_PATH_MAX];
  /* The worker frees retired slots under this lock, so the one read here stays valid. */
  pthread_mutex_lock(&p->free_lock);
  const QuellModelSlot *s = __atomic_load_n(&p->active, __ATOMIC_ACQUIRE);
  snprintf(path, sizeof path, "%s", s->path);
  pthread_mutex_unlock(&p->free_lock);

  const LV2_State_Map_Path *map_path = quell_model_param_feature(features, LV2_STATE__mapPath);
  const LV2_State_Free_Path *free_path = quell_model_param_feature(features, LV2_STATE__freePath);
  char *abstract = NULL;
  if (path[0] && map_path) abstract = map_path->abstract_path(map_path->handle, path);
  const char *value = abstract ? abstract : path;
  /* The shipped model is stored as an empty atom:String, not a Path: hosts write paths as file
   * URIs relative to the saved state, and an empty one would name the state file itself. */
  const LV2_State_Status st = store(handle, p->u.model, value, strlen(value) + 1,
                                    path[0] ? p->u.atom_path : p->u.atom_string,
                                    LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
  if (abstract) {
    if (free_path)
      free_path->free_path(free_path->handle, abstract);
    else
      free(abstract);
  }
  return st;
}

LV2_State_Status quell_model_param_restore(QuellModelParam *p,
                                           LV2_State_Retrieve_Function retrieve,
                                           LV2_State_Handle handle, uint32_t flags,
                                           const LV2_Feature *const *features) {
  (void)flags;
  if (!p->map) return LV2_STATE_ERR_NO_FEATURE;
  size_t size = 0;
  uint32_t type = 0, vflags = 0;
  const char *value = retrieve(handle, p->u.model, &size, &type, &vflags);
  if (!value) return LV2_STATE_SUCCESS; /* state saved before the parameter existed */
  if (type != p->u.atom_path && type != p->u.atom_string) return LV2_STATE_ERR_BAD_TYPE;
  char stored[QUELL_MODEL_PATH_MAX + 1];
  const size_t len = strnlen(value, size);
  if (len >= sizeof stored - 1) {
    quell_model_param_log(p, "saved model path longer than %d bytes, keeping %s",
                          QUELL_MODEL_PATH_MAX - 1, p->active->info);
    return LV2_STATE_SUCCESS;
  }
  memcpy(stored, value, len);
  stored[len] = '\0';
  const LV2_State_Map_Path *map_path = quell_model_param_feature(features, LV2_STATE__mapPath);
  const LV2_State_Free_Path *free_path = quell_model_param_feature(features, LV2_STATE__freePath);
  char *absolute = NULL;
  if (stored[0] && map_path) absolute = map_path->absolute_path(map_path->handle, stored);
  char path[QUELL_MODEL_PATH_MAX + 1];
  snprintf(path, sizeof path, "%s", absolute ? absolute : stored);
  if (absolute) {
    if (free_path)
      free_path->free_path(free_path->handle, absolute);
    else
      free(absolute);
  }
  if (strlen(path) >= QUELL_MODEL_PATH_MAX) path[0] = '\x01';

  char err[800];
  QuellModelSlot *s = quell_model_param_load(p, path, err, sizeof err);
  if (!s) {
    /* The rest of the session still loads; the plugin runs with the model it has. */
    quell_model_param_log(p, "saved model not loaded, keeping %s: %s", p->active->info, err);
    p->notify_due = 1;
    return LV2_STATE_SUCCESS;
  }
  /* Instantiation class: no run() is concurrent, so swap here and free at once. */
  pthread_mutex_lock(&p->free_lock);
  quell_model_param_slot_free(p->pending);
  p->pending = NULL;
  quell_model_param_slot_free(quell_model_param_apply(p, s));
  pthread_mutex_unlock(&p->free_lock);
  quell_model_param_note(p, "restored", s->info);
  return LV2_STATE_SUCCESS;
}
