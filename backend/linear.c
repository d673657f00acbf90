// SPDX-License-Identifier: GPL-2.0
/*
 * The linear backend: GPA -> HPA at a fixed offset, for reserved memory and
 * device ranges. The whole area is mapped at map time with the largest
 * leaves alignment allows; it owns no frames and never faults anything in.
 */
#include <linux/ioport.h>
#include <linux/mm.h>

#include "backend.h"

/*
 * Does [@hpa, @hpa + @size) hold RAM the kernel's page allocator owns? It
 * has online struct pages not reserved; offline memory (hot-added) may
 * become such RAM any time. A linear area refuses it unless asked
 * (AXAS_AREA_HOST_RAM).
 */
bool axas_linear_host_ram(phys_addr_t hpa, u64 size)
{
	unsigned long pfn, end = PHYS_PFN(hpa + size);

	for (pfn = PHYS_PFN(hpa); pfn < end; pfn++) {
		struct page *page = pfn_to_online_page(pfn);

		if (page ? !PageReserved(page) : pfn_valid(pfn))
			return true;
		if (!(pfn & 1023))
			cond_resched();
	}
	return false;
}

static int linear_populate(struct axas_pt *pt, struct axas_frames *frames,
			   const struct axas_area *area,
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

	return axas_pt_map_window(pt, area->start, area->end - area->start, &src,
				  area->flags & AXAS_PROT_ALL, pt->pgsizes, 0, win);
}

const struct axas_backend axas_backend_linear = {
	.name = "linear",
	.populate = linear_populate,
};
