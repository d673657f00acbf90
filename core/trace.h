/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM axas

#if !defined(_AXAS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _AXAS_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(axas_fault,
	TP_PROTO(int space, u64 gpa, unsigned int access, int ret),
	TP_ARGS(space, gpa, access, ret),
	TP_STRUCT__entry(
		__field(int, space)
		__field(u64, gpa)
		__field(unsigned int, access)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->space = space;
		__entry->gpa = gpa;
		__entry->access = access;
		__entry->ret = ret;
	),
	TP_printk("space=%d gpa=0x%llx access=0x%x ret=%d", __entry->space,
		  __entry->gpa, __entry->access, __entry->ret)
);

DECLARE_EVENT_CLASS(axas_range,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret),
	TP_STRUCT__entry(
		__field(int, space)
		__field(u64, gpa)
		__field(u64, size)
		__field(u32, flags)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->space = space;
		__entry->gpa = gpa;
		__entry->size = size;
		__entry->flags = flags;
		__entry->ret = ret;
	),
	TP_printk("space=%d gpa=0x%llx size=0x%llx flags=0x%x ret=%d",
		  __entry->space, __entry->gpa, __entry->size, __entry->flags,
		  __entry->ret)
);

DEFINE_EVENT(axas_range, axas_map,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

DEFINE_EVENT(axas_range, axas_unmap,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

DEFINE_EVENT(axas_range, axas_protect,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

DEFINE_EVENT(axas_range, axas_discard,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

DEFINE_EVENT(axas_range, axas_collapse,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

DEFINE_EVENT(axas_range, axas_flush,
	TP_PROTO(int space, u64 gpa, u64 size, u32 flags, int ret),
	TP_ARGS(space, gpa, size, flags, ret));

#endif /* _AXAS_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
