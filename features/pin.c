// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned translations: a guest page's HPA and kernel address that stay
 * valid until an operation removes or reduces the translation, and a
 * callback that says so. See "Pinned translations" in include/axas/axas.h.
 *
 * Locking: a pin is resolved and registered with the space lock held
 * shared, like a fault: pins of different vCPUs are refreshed in parallel,
 * and with faults. The space's list of pins is changed under its bit lock
 * as well, and walked by invalidation with the space lock held exclusively,
 * which excludes every change; the callback may then sleep. The pin's
 * rwlock orders its users (readers) against invalidation (the writer), so
 * that invalidation waits for the sections in progress. Lock order: space
 * lock, then the pin's lock or the list's bit lock, never both.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitfield.h>
#include <linux/bug.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/list_bl.h>
#include <kunit/visibility.h>

#include "../compat_internal.h"

#include "features.h"

#define PIN_ACCESS	(AXAS_ACCESS_READ | AXAS_ACCESS_WRITE)

/*
 * How often activation faults a lazy page in when it is unmapped again
 * before the lookup: only a VMM that unmaps it in a loop gets -EAGAIN.
 */
#define PIN_FAULT_TRIES	8

/* The rights a pin needs. */
static u32 pin_rights(unsigned int access)
{
	return (access & AXAS_ACCESS_READ ? AXAS_PROT_READ : 0) |
	       (access & AXAS_ACCESS_WRITE ? AXAS_PROT_WRITE : 0);
}

/* What a pin resolves to, before it is published under the pin's lock. */
struct pin_target {
	phys_addr_t hpa;
	u32 prot;
	void *kva;
	void *map;
	bool direct;
};

#ifdef CONFIG_HAS_IOMEM
/*
 * Memory the kernel does not map: memremap() with the memory type of the
 * guest's mapping, as axas_read() does (write-back for RAM the kernel keeps
 * reserved in its map). memremap() knows no uncached type: those pages,
 * and those System RAM covers in part, get no kernel address.
 */
static int pin_remap(struct pin_target *t)
{
	unsigned long flags;

	if (axas_remap_flags(t->hpa & PAGE_MASK, t->prot, &flags) || !flags)
		return 0;
	t->map = memremap(t->hpa & PAGE_MASK, PAGE_SIZE, flags);
	if (!t->map)
		return -EFAULT;
	t->kva = t->map + offset_in_page(t->hpa);
	return 0;
}

static void pin_unmap(void *map)
{
	if (map)
		memunmap(map);
}
#else
static int pin_remap(struct pin_target *t)
{
	return 0;
}

static void pin_unmap(void *map)
{
}
#endif

/*
 * The kernel address of @t->hpa: the direct map for pages the kernel maps
 * (online, not reserved: see space_copy_page()), else pin_remap().
 */
static int pin_map(struct pin_target *t)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(t->hpa));

	if (page && !PageReserved(page) && !PageHighMem(page)) {
		t->kva = page_address(page) + offset_in_page(t->hpa);
		t->direct = true;
		return 0;
	}
	return pin_remap(t);
}

/* Does a valid @pin keep its meaning where translations now allow @prot? */
static bool pin_survives(const struct axas_pin *pin, u32 prot)
{
	u32 rights = pin_rights(pin->access);

	if ((prot & rights) != rights)
		return false;
	/* A remapped page was mapped with the old memory type. */
	return pin->direct || !((prot ^ pin->prot) & AXAS_PROT_MT_MASK);
}

/*
 * Look @gpa up with the space lock held shared, faulting it in first if
 * asked; on success return with the lock held, so that no unmap or protect
 * can come between the lookup and the pin's registration.
 */
static int pin_lookup(struct axas_space *space, u64 gpa, unsigned int access,
		      unsigned int flags, struct axas_pt_leaf *leaf)
{
	unsigned int tries;
	int ret;

	for (tries = 0; ; tries++) {
		down_read(&space->lock);
		if (space->dead) {
			ret = -ESHUTDOWN;
			break;
		}
		if (!axas_pt_query(&space->pt, gpa, leaf)) {
			if ((leaf->prot & pin_rights(access)) == pin_rights(access))
				return 0;
			/*
			 * Write-protected for dirty logging: a write fault
			 * gives the right back (or answers -EACCES).
			 */
			ret = -EACCES;
			if (!(flags & AXAS_PIN_FAULT) ||
			    !(axas_space_denied(space, gpa) & AXAS_PROT_WRITE))
				break;
		} else if (!(flags & AXAS_PIN_FAULT)) {
			/* Not installed yet, or no area at all. */
			ret = axas_area_find(space, gpa) ? -ENODATA : -ENOENT;
			break;
		}
		up_read(&space->lock);
		if (tries == PIN_FAULT_TRIES)
			return -EAGAIN;
		/* Outside the lock: a fault may retake it exclusively. */
		ret = axas_fault(space, gpa, access);
		if (ret < 0)
			return ret;
	}
	up_read(&space->lock);
	return ret;
}

/* Resolve [@gpa, @gpa + @len) and publish it; register @pin if it is not. */
static int pin_resolve(struct axas_pin *pin, u64 gpa, u32 len,
		       unsigned int access, unsigned int flags)
{
	struct axas_space *space = pin->space;
	struct pin_target t = {};
	struct axas_pt_leaf leaf;
	int ret;

	/*
	 * A write pin is resolved under scan_lock: a dirty-log harvest
	 * that found no write pin in its range write-protects it without
	 * one appearing meanwhile.
	 */
	if (access & AXAS_ACCESS_WRITE)
		mutex_lock(&space->scan_lock);
	ret = pin_lookup(space, gpa, access, flags, &leaf);
	if (ret)
		goto out;
	t.hpa = leaf.hpa + (gpa - leaf.gpa);
	t.prot = leaf.prot;
	ret = pin_map(&t);
	if (ret)
		goto out_unlock;

	write_lock_irq(&pin->lock);
	pin->gpa = gpa;
	pin->len = len;
	pin->access = access;
	/* The C-bit too, where the page is encrypted: what a VMCB field takes. */
	pin->hpa = t.hpa | (leaf.pte & space->pt.me_mask);
	pin->kva = t.kva;
	pin->map = t.map;
	pin->direct = t.direct;
	pin->prot = t.prot;
	WRITE_ONCE(pin->valid, true);
	write_unlock_irq(&pin->lock);
	if (!pin->registered) {
		hlist_bl_lock(&space->pins);
		hlist_bl_add_head(&pin->node, &space->pins);
		hlist_bl_unlock(&space->pins);
		pin->registered = true;
	}
out_unlock:
	up_read(&space->lock);
out:
	if (access & AXAS_ACCESS_WRITE)
		mutex_unlock(&space->scan_lock);
	return ret;
}

void axas_pin_init(struct axas_pin *pin, struct axas_space *space,
		   axas_pin_fn invalidate, void *cookie)
{
	*pin = (struct axas_pin){
		.space = space,
		.invalidate = invalidate,
		.cookie = cookie,
	};
	rwlock_init(&pin->lock);
	INIT_HLIST_BL_NODE(&pin->node);
}
EXPORT_SYMBOL_NS_GPL(axas_pin_init, AXAS_NS);

int axas_pin_activate(struct axas_pin *pin, u64 gpa, u32 len,
		      unsigned int access, unsigned int flags)
{
	struct axas_space *space = pin->space;

	if (!space || !pin->invalidate || !len ||
	    offset_in_page(gpa) + (u64)len > PAGE_SIZE ||
	    !access || (access & ~PIN_ACCESS) || (flags & ~AXAS_PIN_FAULT))
		return -EINVAL;
	if (pin->registered)
		return -EBUSY;
	if (gpa < space->base || gpa >= space->end)
		return -ERANGE;
	return pin_resolve(pin, gpa, len, access, flags);
}
EXPORT_SYMBOL_NS_GPL(axas_pin_activate, AXAS_NS);

int axas_pin_refresh(struct axas_pin *pin, unsigned int flags)
{
	if ((flags & ~AXAS_PIN_FAULT) || !pin->registered)
		return -EINVAL;
	/* Only invalidation clears it, and only the owner sets it. */
	if (READ_ONCE(pin->valid))
		return 0;
	return pin_resolve(pin, pin->gpa, pin->len, pin->access, flags);
}
EXPORT_SYMBOL_NS_GPL(axas_pin_refresh, AXAS_NS);

bool axas_pin_lock(struct axas_pin *pin) __acquires(&pin->lock)
{
	read_lock(&pin->lock);
	return READ_ONCE(pin->valid);
}
EXPORT_SYMBOL_NS_GPL(axas_pin_lock, AXAS_NS);

void axas_pin_unlock(struct axas_pin *pin) __releases(&pin->lock)
{
	read_unlock(&pin->lock);
}
EXPORT_SYMBOL_NS_GPL(axas_pin_unlock, AXAS_NS);

phys_addr_t axas_pin_hpa(const struct axas_pin *pin)
{
	return pin->hpa;
}
EXPORT_SYMBOL_NS_GPL(axas_pin_hpa, AXAS_NS);

void *axas_pin_kva(const struct axas_pin *pin)
{
	return pin->kva;
}
EXPORT_SYMBOL_NS_GPL(axas_pin_kva, AXAS_NS);

void axas_pin_release(struct axas_pin *pin)
{
	struct axas_space *space = pin->space;

	if (!pin->registered)
		return;
	/* Excludes invalidation, which may be calling the callback. */
	down_read(&space->lock);
	hlist_bl_lock(&space->pins);
	hlist_bl_del_init(&pin->node);
	hlist_bl_unlock(&space->pins);
	write_lock_irq(&pin->lock);
	/* Its writes until now: for the next harvest. */
	if (pin->valid && (pin->access & AXAS_ACCESS_WRITE))
		axas_space_written(space, pin->gpa, pin->len);
	WRITE_ONCE(pin->valid, false);
	write_unlock_irq(&pin->lock);
	up_read(&space->lock);
	pin->registered = false;
	pin_unmap(pin->map);
	pin->map = NULL;
}
EXPORT_SYMBOL_NS_GPL(axas_pin_release, AXAS_NS);

static void pins_invalidate(struct axas_space *space, u64 gpa, u64 size,
			    u32 prot, bool write_only,
			    struct axas_pt_gather *gather)
{
	struct hlist_bl_node *pos;
	struct axas_pin *pin;

	lockdep_assert_held_write(&space->lock);
	/* The common case: one load. */
	if (hlist_bl_empty(&space->pins))
		return;
	hlist_bl_for_each_entry(pin, pos, &space->pins, node) {
		/* Only activation (with the space lock shared) sets it. */
		if (!pin->valid || pin->gpa + pin->len <= gpa ||
		    pin->gpa >= gpa + size)
			continue;
		if (write_only ? !(pin->access & AXAS_ACCESS_WRITE) :
		    pin_survives(pin, prot))
			continue;
		/* Waits for the sections in progress; later ones see false. */
		write_lock_irq(&pin->lock);
		WRITE_ONCE(pin->valid, false);
		write_unlock_irq(&pin->lock);
		pin->invalidate(pin->cookie, pin);
		/* The owner stopped using the address when the callback returned. */
		pin_unmap(pin->map);
		pin->map = NULL;
		/* Its writes until the callback returned: for the next harvest. */
		if (pin->access & AXAS_ACCESS_WRITE)
			axas_space_written(space, pin->gpa, pin->len);
		/* The callback may only post a request: the flush kicks. */
		if (gather)
			axas_pt_gather_add(gather, pin->gpa & PAGE_MASK,
					   (pin->gpa & PAGE_MASK) + PAGE_SIZE);
	}
}

void axas_pins_invalidate(struct axas_space *space, u64 gpa, u64 size,
			  u32 prot, struct axas_pt_gather *gather)
{
	pins_invalidate(space, gpa, size, prot, false, gather);
}

void axas_pins_invalidate_write(struct axas_space *space, u64 gpa, u64 size,
				struct axas_pt_gather *gather)
{
	pins_invalidate(space, gpa, size, 0, true, gather);
}

unsigned int axas_pins_writers(struct axas_space *space, u64 gpa, u64 size,
			       unsigned long *bitmap)
{
	struct hlist_bl_node *pos;
	struct axas_pin *pin;
	unsigned int n = 0;

	lockdep_assert_held(&space->lock);
	if (hlist_bl_empty(&space->pins))
		return 0;
	hlist_bl_lock(&space->pins);
	hlist_bl_for_each_entry(pin, pos, &space->pins, node) {
		if (!READ_ONCE(pin->valid) || !(pin->access & AXAS_ACCESS_WRITE) ||
		    pin->gpa + pin->len <= gpa || pin->gpa >= gpa + size)
			continue;
		n++;
		if (bitmap)
			__set_bit((pin->gpa - gpa) >> PAGE_SHIFT, bitmap);
	}
	hlist_bl_unlock(&space->pins);
	return n;
}

/*
 * Pins left registered at destroy: the VMM still holds pointers into a
 * space that goes away. The KUnit suite replaces this to count them.
 */
VISIBLE_IF_KUNIT void axas_pins_leaked(struct axas_space *space,
				       unsigned int n)
{
	KUNIT_STATIC_STUB_REDIRECT(axas_pins_leaked, space, n);
	WARN_ONCE(1, "space %s-%d destroyed with %u pins registered\n",
		  space->name, space->id, n);
}
EXPORT_SYMBOL_IF_KUNIT(axas_pins_leaked);

/* The core's @destroy hook: unregister pins the VMM left behind (a bug). */
static void pins_forget(struct axas_space *space)
{
	struct hlist_bl_node *pos, *tmp;
	struct axas_pin *pin;
	unsigned int n = 0;

	/* After shutdown: every pin is invalid and holds no mapping. */
	hlist_bl_for_each_entry_safe(pin, pos, tmp, &space->pins, node) {
		hlist_bl_del_init(&pin->node);
		pin->registered = false;
		n++;
	}
	if (n)
		axas_pins_leaked(space, n);
}

struct axas_space_hooks axas_pin_hooks = {
	.reduce = axas_pins_invalidate,
	.destroy = pins_forget,
};
