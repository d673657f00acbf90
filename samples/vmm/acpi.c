// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI tables (ACPI 6.x) through which the guest finds the platform,
 * written at 0xe0000, where a BIOS leaves them and where Linux looks for
 * the RSDP when the boot protocol does not name it (the loader names it
 * too, in boot_params.acpi_rsdp_addr):
 *
 *   RSDP  revision 2, pointing to the XSDT
 *   XSDT  FADT, MADT
 *   FADT  hardware-reduced (pm.c says why): the sleep control and status
 *         registers and the reset register in I/O space, the PM timer;
 *         IA-PC boot flags: no legacy devices, no 8042, no VGA; x2APICs
 *         in physical destination mode; the DSDT
 *   MADT  a local APIC per vCPU, its ID the vCPU's number (the first is
 *         the bootstrap processor); no I/O APIC, no 8259 (no PCAT_COMPAT)
 *   DSDT  _S5 (sleep type 5: what pm.c powers off at); COM1 as a PNP0501
 *         device with its eight ports and no interrupt, so that Linux's
 *         8250 driver polls it; the RTC as a PNP0B00 device with its two
 *         ports and no interrupt (no alarms)
 *
 * The DSDT's AML is built by a few helpers that compute each package's
 * length (every one here is shorter than 64 bytes: one PkgLength byte,
 * but the scope's, which has two; aml_close2()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vmm.h"

#define ACPI_OEM_ID		"AXAS  "
#define ACPI_OEM_TABLE_ID	"AXASVMM "

/* Offsets of the tables in the [VMM_ACPI, VMM_ACPI_END) block. */
#define ACPI_RSDP_OFF		0x000
#define ACPI_XSDT_OFF		0x040
#define ACPI_FADT_OFF		0x080
#define ACPI_MADT_OFF		0x200
#define ACPI_DSDT_OFF		0x280
#define ACPI_BLOCK		0x1000

static u8 acpi_sum(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static void acpi_header(struct acpi_table_header *h, const char *sig,
			u32 len, u8 rev)
{
	memcpy(h->signature, sig, ACPI_NAMESEG_SIZE);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, ACPI_OEM_ID_SIZE);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, ACPI_OEM_TABLE_ID_SIZE);
	h->oem_revision = 1;
	memcpy(h->asl_compiler_id, "AXAS", ACPI_NAMESEG_SIZE);
	h->asl_compiler_revision = 1;
}

/* The checksum makes the table's bytes sum to 0. */
static void acpi_checksum(struct acpi_table_header *h)
{
	h->checksum = 0;
	h->checksum = -acpi_sum(h, h->length);
}

/* An I/O-space register for a GAS. */
static struct acpi_generic_address acpi_port(u16 port, u8 bytes)
{
	return (struct acpi_generic_address) {
		.space_id = ACPI_ADR_SPACE_SYSTEM_IO,
		.bit_width = bytes * 8,
		.access_width = bytes == 4 ? 3 : 1,
		.address = port,
	};
}

struct aml {
	u8 *p;
	size_t len;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	memcpy(a->p + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, u8 b)
{
	a->p[a->len++] = b;
}

/* A PkgLength to be filled in by aml_close(): where it is. */
static size_t aml_open(struct aml *a)
{
	aml_byte(a, 0);
	return a->len - 1;
}

/* PkgLength counts itself and what follows it, to the package's end. */
static void aml_close(struct aml *a, size_t at)
{
	WARN_ON(a->len - at > 0x3f);
	a->p[at] = a->len - at;
}

/* A two-byte PkgLength, for a package of 64 bytes to 4 KiB. */
static size_t aml_open2(struct aml *a)
{
	aml_byte(a, 0);
	aml_byte(a, 0);
	return a->len - 2;
}

static void aml_close2(struct aml *a, size_t at)
{
	size_t len = a->len - at;

	WARN_ON(len > 0xfff);
	a->p[at] = 0x40 | (len & 0xf);
	a->p[at + 1] = len >> 4;
}

/* NameOp NameSeg: the start of Name (SEG, ...). */
static void aml_name(struct aml *a, const char *seg)
{
	aml_byte(a, 0x08);
	aml_bytes(a, seg, ACPI_NAMESEG_SIZE);
}

/*
 * Device (NAME) { Name (_HID, EisaId (...)), Name (_UID, 1),
 * Name (_CRS, ResourceTemplate () { ... }) }
 */
static void aml_device(struct aml *a, const char *name, const u8 *eisaid,
		       const u8 *crs, size_t crs_len)
{
	size_t dev, buf;

	aml_bytes(a, "\x5b\x82", 2);		/* DeviceOp */
	dev = aml_open(a);
	aml_bytes(a, name, ACPI_NAMESEG_SIZE);
	aml_name(a, "_HID");
	aml_byte(a, 0x0c);			/* DWordPrefix */
	aml_bytes(a, eisaid, 4);
	aml_name(a, "_UID");
	aml_byte(a, 0x01);			/* OneOp */
	aml_name(a, "_CRS");
	aml_byte(a, 0x11);			/* BufferOp */
	buf = aml_open(a);
	aml_byte(a, 0x0a);			/* BytePrefix: the size */
	aml_byte(a, crs_len);
	aml_bytes(a, crs, crs_len);
	aml_close(a, buf);
	aml_close(a, dev);
}

static size_t acpi_dsdt_aml(u8 *buf)
{
	/* IO (Decode16, 0x3f8, 0x3f8, 1, 8), then the end tag. */
	static const u8 com1_crs[] = {
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
		0x79, 0x00,
	};
	/* IO (Decode16, 0x70, 0x70, 1, 2), then the end tag. */
	static const u8 rtc_crs[] = {
		0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02,
		0x79, 0x00,
	};
	/* Package (4) { 5, 5, 0, 0 }: BytePrefix 5, twice; ZeroOp, twice. */
	static const u8 s5[] = { 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	/* EisaId ("PNP0501"), EisaId ("PNP0B00"): compressed IDs. */
	static const u8 pnp0501[] = { 0x41, 0xd0, 0x05, 0x01 };
	static const u8 pnp0b00[] = { 0x41, 0xd0, 0x0b, 0x00 };
	struct aml a = { .p = buf };
	size_t pkg, scope;

	/* Name (_S5, Package (4) { 5, 5, 0, 0 }) */
	aml_name(&a, "_S5_");
	aml_byte(&a, 0x12);			/* PackageOp */
	pkg = aml_open(&a);
	aml_bytes(&a, s5, sizeof(s5));
	aml_close(&a, pkg);

	/* Scope (\_SB) { Device (COM1) { ... } Device (RTC) { ... } } */
	aml_byte(&a, 0x10);			/* ScopeOp */
	scope = aml_open2(&a);
	aml_bytes(&a, "\\_SB_", 5);
	aml_device(&a, "COM1", pnp0501, com1_crs, sizeof(com1_crs));
	aml_device(&a, "RTC_", pnp0b00, rtc_crs, sizeof(rtc_crs));
	aml_close2(&a, scope);
	return a.len;
}

static void acpi_fadt(struct acpi_table_fadt *f, u64 dsdt)
{
	acpi_header(&f->header, ACPI_SIG_FADT, sizeof(*f), 6);
	/* Below 4 GiB: the 32-bit field (X_DSDT, 0, says to use it). */
	f->dsdt = dsdt;
	f->flags = ACPI_FADT_HW_REDUCED | ACPI_FADT_RESET_REGISTER |
		   ACPI_FADT_APIC_PHYSICAL | ACPI_FADT_32BIT_TIMER |
		   ACPI_FADT_WBINVD | ACPI_FADT_POWER_BUTTON |
		   ACPI_FADT_SLEEP_BUTTON;
	/* No legacy devices, no 8042, no VGA; the CMOS RTC is there. */
	f->boot_flags = ACPI_FADT_NO_VGA;
	f->reset_register = acpi_port(VMM_PM_RESET, 1);
	f->reset_value = VMM_PM_RESET_VALUE;
	f->pm_timer_block = VMM_PM_TIMER;
	f->pm_timer_length = 4;
	f->xpm_timer_block = acpi_port(VMM_PM_TIMER, 4);
	f->sleep_control = acpi_port(VMM_PM_SLEEP_CTL, 1);
	f->sleep_status = acpi_port(VMM_PM_SLEEP_STS, 1);
	acpi_checksum(&f->header);
}

static void acpi_madt(u8 *buf, unsigned int cpus)
{
	struct acpi_table_madt *m = (void *)buf;
	struct acpi_madt_local_apic *lapic = (void *)(m + 1);
	unsigned int i;

	acpi_header(&m->header, ACPI_SIG_MADT,
		    sizeof(*m) + cpus * sizeof(*lapic), 5);
	m->address = VMM_LAPIC_BASE;
	m->flags = 0;		/* no PCAT_COMPAT: no 8259 */
	for (i = 0; i < cpus; i++, lapic++) {
		lapic->header.type = ACPI_MADT_TYPE_LOCAL_APIC;
		lapic->header.length = sizeof(*lapic);
		lapic->processor_id = i;
		lapic->id = i;
		lapic->lapic_flags = ACPI_MADT_ENABLED;
	}
	acpi_checksum(&m->header);
}

/**
 * vmm_acpi_build() - write the ACPI tables into guest memory
 * @vm: the guest
 * @rsdp: where the RSDP's GPA goes, for boot_params
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOMEM, or the errno of the guest write.
 */
int vmm_acpi_build(struct vmm_vm *vm, u64 *rsdp)
{
	struct acpi_table_rsdp *r;
	struct acpi_table_header *xsdt, *dsdt;
	u64 *entries;
	u8 *buf;
	int ret;

	BUILD_BUG_ON(ACPI_FADT_OFF + sizeof(struct acpi_table_fadt) > ACPI_MADT_OFF);
	BUILD_BUG_ON(ACPI_MADT_OFF + sizeof(struct acpi_table_madt) + VMM_MAX_VCPUS *
		     sizeof(struct acpi_madt_local_apic) > ACPI_DSDT_OFF);
	buf = kzalloc(ACPI_BLOCK, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	dsdt = (void *)(buf + ACPI_DSDT_OFF);
	acpi_header(dsdt, ACPI_SIG_DSDT, 0, 2);
	dsdt->length = sizeof(*dsdt) + acpi_dsdt_aml((u8 *)(dsdt + 1));
	acpi_checksum(dsdt);

	acpi_fadt((void *)(buf + ACPI_FADT_OFF), VMM_ACPI + ACPI_DSDT_OFF);
	acpi_madt(buf + ACPI_MADT_OFF, vm->nr_vcpus);

	xsdt = (void *)(buf + ACPI_XSDT_OFF);
	acpi_header(xsdt, ACPI_SIG_XSDT, sizeof(*xsdt) + 2 * sizeof(u64), 1);
	entries = (u64 *)(xsdt + 1);
	entries[0] = VMM_ACPI + ACPI_FADT_OFF;
	entries[1] = VMM_ACPI + ACPI_MADT_OFF;
	acpi_checksum(xsdt);

	r = (void *)(buf + ACPI_RSDP_OFF);
	memcpy(r->signature, ACPI_SIG_RSDP, sizeof(r->signature));
	memcpy(r->oem_id, ACPI_OEM_ID, ACPI_OEM_ID_SIZE);
	r->revision = 2;
	r->length = sizeof(*r);
	r->xsdt_physical_address = VMM_ACPI + ACPI_XSDT_OFF;
	/* The first 20 bytes (ACPI 1.0's RSDP), then all of it. */
	r->checksum = -acpi_sum(r, ACPI_RSDP_CHECKSUM_LENGTH);
	r->extended_checksum = -acpi_sum(r, sizeof(*r));

	ret = vmm_mem_write(vm, VMM_ACPI, buf, ACPI_BLOCK);
	kfree(buf);
	*rsdp = VMM_ACPI + ACPI_RSDP_OFF;
	return ret;
}
