// SPDX-License-Identifier: GPL-2.0
/*
 * The linear backend: GPA -> HPA at a fixed offset, for reserved memory and
 * device ranges. The whole area is mapped at map time with the largest
 * leaves alignment allows; it owns no frames and never faults anything in.
 */
#include <linux/ioport.h>
#include <linux/mm.h>

#include "../axas_internal.h"

static int linear_populate(struct axas_space *space, struct axas_area *area,
			   const struct axas_pt_window *win)
{
	/*
	 * With memory encryption, System RAM is what the host maps encrypted;
	 * reserved ranges and devices it maps decrypted, and so does the guest.
	 */
	struct axas_pt_src src = {
		.pa = area->hpa,
		.encrypted = region_intersects(area->hpa, area->end - area->start,
					       IORESOURCE_SYSTEM_RAM,
					       IORES_DESC_NONE) == REGION_INTERSECTS,
	};

	return axas_pt_map_window(&space->pt, area->start,
				  area->end - area->start, &src,
				  area->flags & AXAS_PROT_ALL, space->pt.pgsizes,
				  0, win);
}

const struct axas_backend axas_backend_linear = {
	.name = "linear",
	.populate = linear_populate,
};
