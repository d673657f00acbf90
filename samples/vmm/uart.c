// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's console: an 8250 with 16550A FIFOs at 0x3f8 (COM1), as
 * Linux's 8250 driver probes it (the scratch register, IER's four bits,
 * IIR's FIFO bits, no EFR) and drives it. Transmitting is instant: the
 * transmit holding register is always empty, so LSR always has THRE and
 * TEMT, and every character written goes to the guest's current line,
 * which the VMM prints (vm->console_line) at its newline. Nothing is ever
 * received. No interrupt line is connected (the platform has no
 * controller for ISA interrupts): the ACPI tables describe the port
 * without one, and Linux polls it; IIR still reports a pending THRE
 * interrupt the way a 16550A does, which is what its polling reads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/serial_reg.h>
#include "vmm.h"

static void uart_putc(struct vmm_vm *vm, struct vmm_uart *u, u8 c)
{
	if (c == '\r')
		return;
	if (c != '\n') {
		u->line[u->len++] = (c == '\t' || (c >= 0x20 && c < 0x7f)) ? c : '?';
		if (u->len < sizeof(u->line) - 1)
			return;
	}
	vmm_uart_flush(vm);
}

/* The line written so far, to the VMM (at a newline, when full, at the end). */
void vmm_uart_flush(struct vmm_vm *vm)
{
	struct vmm_uart *u = &vm->uart;

	if (!u->len)
		return;
	u->line[u->len] = 0;
	u->len = 0;
	vm->console_line(vm->cookie, u->line);
}

static u8 uart_iir(struct vmm_uart *u)
{
	u8 iir = UART_IIR_NO_INT;

	/* A THRE interrupt is pending until IIR reports it or THR is written. */
	if ((u->ier & UART_IER_THRI) && u->thri) {
		iir = UART_IIR_THRI;
		u->thri = false;
	}
	if (u->fcr & UART_FCR_ENABLE_FIFO)
		iir |= 0xc0;
	return iir;
}

/* In loopback mode the modem inputs follow the modem outputs. */
static u8 uart_msr(struct vmm_uart *u)
{
	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	return (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
	       (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
	       (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
	       (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
}

static u8 uart_read(struct vmm_uart *u, u16 offset)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_RX:
		return dlab ? u->dll : 0;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

static void uart_write(struct vmm_vm *vm, struct vmm_uart *u, u16 offset, u8 v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (offset) {
	case UART_TX:
		if (dlab) {
			u->dll = v;
			return;
		}
		uart_putc(vm, u, v);
		/* Sent at once: THR is empty again. */
		u->thri = true;
		return;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			return;
		}
		/* Enabling the THRE interrupt with THR empty raises it. */
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thri = true;
		u->ier = v & 0x0f;
		return;
	case UART_FCR:
		u->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
		return;
	case UART_LCR:
		u->lcr = v;
		return;
	case UART_MCR:
		u->mcr = v & 0x1f;
		return;
	case UART_SCR:
		u->scr = v;
		return;
	}
	/* LSR and MSR are read-only. */
}

/* Ports 0x3f8-0x3ff, one byte at a time (a wider access: its first byte). */
void vmm_uart_io(struct vmm_vcpu *vcpu, u16 offset, u8 size, bool in, u32 *val)
{
	struct vmm_vm *vm = vcpu->vm;

	if (in)
		*val = uart_read(&vm->uart, offset);
	else
		uart_write(vm, &vm->uart, offset, *val);
}
