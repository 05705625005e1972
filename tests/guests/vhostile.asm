; vhostile: drives Keel's virtio-blk device the way a hostile guest would,
; one line per case, each on a freshly reset device:
;   1. get_id      a valid GET_ID request completes (the baseline)
;   2. loop        a descriptor chain that loops: 0 -> 1 -> 0
;   3. out-of-ram  an IN request whose data buffer is at 1 GiB (RAM is 2 MiB)
;   4. huge-len    an IN request with a data descriptor of 0xfffff000 bytes
;   5. wrap-len    two data descriptors whose lengths add up past 2^32
;   6. avail-idx   avail->idx 1000 ahead of the device (queue size 8)
;   7. head-range  head index 200 in the available ring (queue size 8)
;   8. recover     GET_ID again after a reset: the same ID as in case 1
; Keel must contain every attack: the device sets DEVICE_NEEDS_RESET (0x40)
; and sends a configuration change notification (virtio 1.2 2.1.2; ISR bit
; 1 here, MSI-X being off), completes nothing and writes no guest memory
; but the request's own writable buffers. Cases 3-5 may instead complete
; with VIRTIO_BLK_S_IOERR (5.2.6). Beside each request the guest keeps
; canaries (the rest of the request page, a page on either side of the data
; buffer, the descriptor table and available ring as they were at the
; kick), and every case checks that the device wrote none of them.
;
; Keel starts it in 64-bit mode with 2 MiB of RAM and 0-4 GiB identity-
; mapped; the device is PCI 00:01.0 and must have a disk of at least one
; sector. It is driven by polling: MSI-X stays off and IF stays 0. The
; device's registers are touched only by plain MOVs (virtio.inc).
        bits 64
        org 0x8000
%define GUEST_NAME "vhostile"
%include "serial.inc"
%include "virtio.inc"

VIRTIO_BLK_PCI_ID       equ 0x10421af4  ; device 0x1042 (0x1040 + 2), vendor 0x1af4
QSIZE                   equ 8           ; queue 0's size: small, so 200 is far out

; Block requests (virtio 1.2 5.2.6).
VIRTIO_BLK_T_IN         equ 0
VIRTIO_BLK_T_GET_ID     equ 8
VIRTIO_BLK_ID_BYTES     equ 20
VIRTIO_BLK_S_OK         equ 0
VIRTIO_BLK_S_IOERR      equ 1
VIRTIO_BLK_CFG_CAPACITY equ 0           ; le64, in 512-byte sectors
BLK_HDR_TYPE            equ 0           ; le32
BLK_HDR_RESERVED        equ 4           ; le32
BLK_HDR_SECTOR          equ 8           ; le64
BLK_HDR_SIZE            equ 16
SECTOR_SIZE             equ 512

; Where the rings and the request live inside their pages.
RING_AVAIL_OFF          equ 0x100       ; the descriptor table is at 0
RING_USED_OFF           equ 0x200       ; [0, RING_USED_OFF): written by the driver only
REQ_ID_OFF              equ 0x40        ; the header is at 0
REQ_STATUS_OFF          equ 0x80
PAGE                    equ 4096

UNTOUCHED               equ 0xff        ; fills what the device may write: no status has it
CANARY                  equ 0x5a        ; fills what the device must never write
OUT_OF_RAM_GPA          equ 0x40000000  ; 1 GiB: far past the 2 MiB of RAM
HUGE_LEN                equ 0xfffff000
WRAP_LEN                equ 0x2000      ; HUGE_LEN + WRAP_LEN = 2^32 + 0x1000
AVAIL_AHEAD             equ 1000
BAD_HEAD                equ 200         ; 200 mod 8 = 0: masking it finds a valid chain

; CASE "name": the case that failure lines name from here on.
%macro CASE 1
  [section .rodata]
  %%name: db %1, 0
  __?SECT?__
        push rax
        mov rax, %%name
        mov [case_name], rax
        pop rax
%endmacro

; CFAIL "why", CFAIL_HEX "why", val32, and their _IF forms: FAIL lines that
; name the current case: "FAIL vhostile: <case>: why".
%macro CFAIL 1
  [section .rodata]
  %%why: db %1, 0
  __?SECT?__
        mov rsi, %%why
        jmp case_fail
%endmacro

%macro CFAIL_HEX 2
        mov eax, %2
  [section .rodata]
  %%why: db %1, 0
  __?SECT?__
        mov rsi, %%why
        jmp case_fail_hex
%endmacro

%macro CFAIL_IF 2
        j%-1 %%ok
        CFAIL {%2}
  %%ok:
%endmacro

%macro CFAIL_HEX_IF 3
        j%-1 %%ok
        CFAIL_HEX {%2}, %3
  %%ok:
%endmacro

start:
        cld
        mov ebx, PCI_BDF(0, 1, 0)
        mov eax, VIRTIO_BLK_PCI_ID
        call vio_probe
        CASE "setup"
        call blk_setup
        call report_device

        CASE "get_id"
        call blk_setup
        call get_id
        mov rsi, id_text
        mov rdi, id_first
        mov ecx, VIRTIO_BLK_ID_BYTES + 1
        rep movsb
        PRINT 'vhostile: get_id ok "'
        mov rsi, id_text
        call puts
        PRINT {'"', 10}

        call case_loop
        call case_out_of_ram
        call case_huge_len
        call case_wrap_len
        call case_avail_idx
        call case_head_range
        call case_recover

        call vio_reset                  ; leave the device as a reset found it
        mov ecx, PCI_ID
        call pci_cfg_read32
        cmp eax, VIRTIO_BLK_PCI_ID
        FAIL_HEX_IF ne, "PCI IDs changed after the attacks", eax
        PASS

; report_device: one line about the device found; the disk must have a
; sector, so that an IN of sector 0 can fail only for its buffer.
report_device:
        mov ecx, VIRTIO_BLK_CFG_CAPACITY
        call vio_cfg_read64
        test rax, rax
        CFAIL_IF z, "the disk has no sectors (capacity 0): give the VM a disk"
        mov rbx, rax
        PRINT "vhostile: virtio-blk 00:01.0, common cfg at 0x"
        mov eax, [vio_common]
        call put_hex32
        PRINT ", capacity "
        mov rax, rbx
        call put_dec64
        PRINT " sectors, queue 0 max "
        mov eax, [vio_queue_max]
        call put_dec64
        PRINT {", features word 1 0x"}
        mov eax, [vio_dev_features + 4]
        call put_hex32
        PRINT {" word 0 0x"}
        mov eax, [vio_dev_features]
        call put_hex32
        PRINT 10
        ret

; blk_setup: reset the device and bring it up again with VIRTIO_F_VERSION_1
; only and queue 0 of QSIZE entries on zeroed rings (3.1.1); the request
; page and the canaries are filled afresh, any stale ISR bit read away.
blk_setup:
        call vio_reset
        mov rdi, ring
        mov ecx, PAGE
        xor eax, eax
        rep stosb
        mov word [drv_avail_idx], 0
        mov rdi, req
        mov ecx, PAGE
        mov al, UNTOUCHED
        rep stosb
        mov rdi, canary_lo
        mov ecx, PAGE
        mov al, CANARY
        rep stosb
        mov rdi, data_buf
        mov ecx, PAGE
        xor eax, eax
        rep stosb
        mov rdi, canary_hi
        mov ecx, PAGE
        mov al, CANARY
        rep stosb

        xor eax, eax
        mov edx, VIRTIO_F_VERSION_1_HI
        call vio_negotiate
        xor ecx, ecx
        mov eax, QSIZE
        mov rdi, ring
        mov rsi, ring + RING_AVAIL_OFF
        mov rdx, ring + RING_USED_OFF
        call vio_queue_setup
        call vio_driver_ok
        call vio_isr_read
        ret

; desc_set: descriptor ECX <- address RAX, length EDX, flags BX, next in
; the upper half of EBX.
desc_set:
        push rcx
        shl ecx, 4
        mov [ring + rcx + VIRTQ_DESC_ADDR], rax
        mov [ring + rcx + VIRTQ_DESC_LEN], edx
        mov [ring + rcx + VIRTQ_DESC_FLAGS], ebx  ; flags and next together
        pop rcx
        ret

; avail_publish: head AX into the next slot of the available ring, then the
; new idx: the entry before the idx that makes it visible (2.7.13).
avail_publish:
        push rcx
        push rdx
        movzx edx, word [drv_avail_idx]
        mov ecx, edx
        and ecx, QSIZE - 1
        mov [ring + RING_AVAIL_OFF + VIRTQ_AVAIL_RING + rcx * 2], ax
        inc edx
        mov [drv_avail_idx], dx
        mov [ring + RING_AVAIL_OFF + VIRTQ_AVAIL_IDX], dx
        pop rdx
        pop rcx
        ret

; build_request: a block request with head 0, published: descriptor 0 the
; header (type EAX, sector 0, device-readable), then ECX device-writable
; data descriptors from the table at RSI ({dq gpa, dd length, dd 0} each),
; then the status byte (5.2.6). Clobbers RAX, RBX, RCX, RDX, RSI, R8.
build_request:
        mov [req + BLK_HDR_TYPE], eax
        mov dword [req + BLK_HDR_RESERVED], 0
        mov qword [req + BLK_HDR_SECTOR], 0
        mov r8d, ecx
        xor ecx, ecx
        mov eax, req
        mov edx, BLK_HDR_SIZE
        mov ebx, VIRTQ_DESC_F_NEXT | (1 << 16)
        call desc_set
.data:  test r8d, r8d
        jz .status
        inc ecx
        mov rax, [rsi]
        mov edx, [rsi + 8]
        lea ebx, [rcx + 1]
        shl ebx, 16
        or ebx, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT
        call desc_set
        add rsi, 16
        dec r8d
        jmp .data
.status:
        inc ecx
        mov eax, req + REQ_STATUS_OFF
        mov edx, 1
        mov ebx, VIRTQ_DESC_F_WRITE
        call desc_set
        xor eax, eax
        call avail_publish
        ret

; kick: remember the driver's part of the ring as it is, then notify queue 0.
kick:
        push rcx
        push rsi
        push rdi
        mov rsi, ring
        mov rdi, snapshot
        mov ecx, RING_USED_OFF
        rep movsb
        xor ecx, ecx
        call vio_notify
        pop rdi
        pop rsi
        pop rcx
        ret

; wait_device: vio_wait_used on queue 0, from used idx 0 (one request per
; reset).
wait_device:
        push rsi
        push rdi
        mov rdi, ring + RING_USED_OFF
        xor esi, esi
        call vio_wait_used
        pop rdi
        pop rsi
        ret

; get_id: GET_ID with a 20-byte buffer; it must complete with
; VIRTIO_BLK_S_OK and a printable, non-empty ID, copied to id_text as a
; string.
get_id:
        mov eax, VIRTIO_BLK_T_GET_ID
        mov rsi, get_id_data
        mov ecx, 1
        call build_request
        call kick
        call wait_device
        CFAIL_IF c, "no completion in the used ring (timeout)"
        test eax, VIRTIO_STATUS_NEEDS_RESET
        CFAIL_HEX_IF nz, "DEVICE_NEEDS_RESET after a valid request: device_status", eax
        cmp edx, 1
        CFAIL_HEX_IF ne, "used idx is not 1", edx
        mov eax, [ring + RING_USED_OFF + VIRTQ_USED_RING + VIRTQ_USED_ELEM_ID]
        test eax, eax
        CFAIL_HEX_IF nz, "used element id is not head 0", eax
        mov eax, [ring + RING_USED_OFF + VIRTQ_USED_RING + VIRTQ_USED_ELEM_LEN]
        cmp eax, 1
        CFAIL_HEX_IF b, "used length 0: not even the status byte written", eax
        cmp eax, VIRTIO_BLK_ID_BYTES + 1
        CFAIL_HEX_IF a, "used length more than the 21 writable bytes", eax
        movzx eax, byte [req + REQ_STATUS_OFF]
        cmp eax, VIRTIO_BLK_S_OK
        CFAIL_HEX_IF ne, "status byte is not VIRTIO_BLK_S_OK", eax
        call id_check
        ; MSI-X is off, so the device sets the queue bit before notifying
        ; (4.1.5.4).
        call vio_isr_read
        test eax, VIRTIO_ISR_QUEUE
        CFAIL_HEX_IF z, "ISR queue bit clear after a used buffer (4.1.5.4)", eax
        call guest_ram_check
        ret

; id_check: the ID is printable up to its first NUL, or all 20 bytes when
; it has none (5.2.6). What follows the NUL is not looked at: QEMU, for one,
; writes only the string and its NUL. It must not be empty.
id_check:
        xor ecx, ecx
.char:  movzx eax, byte [req + REQ_ID_OFF + rcx]
        test eax, eax
        jz .end
        cmp eax, 0x20
        CFAIL_HEX_IF b, "ID byte not printable", eax
        cmp eax, 0x7e
        CFAIL_HEX_IF a, "ID byte not printable", eax
        mov [id_text + rcx], al
        inc ecx
        cmp ecx, VIRTIO_BLK_ID_BYTES
        jb .char
.end:   test ecx, ecx
        CFAIL_IF z, "the ID is empty"
        mov byte [id_text + rcx], 0
        ret

; guest_ram_check: the device wrote nothing it must not: the descriptor
; table and available ring are as they were at the kick, the request page
; is UNTOUCHED outside the header, the 20 ID bytes and the status byte,
; and the pages around the data buffer hold their canaries.
guest_ram_check:
        push rax
        push rcx
        push rsi
        push rdi
        mov rsi, ring
        mov rdi, snapshot
        mov ecx, RING_USED_OFF
        repe cmpsb
        CFAIL_IF ne, "the device wrote to the descriptor table or the available ring"
        mov rdi, req + BLK_HDR_SIZE
        mov ecx, REQ_ID_OFF - BLK_HDR_SIZE
        call .untouched
        mov rdi, req + REQ_ID_OFF + VIRTIO_BLK_ID_BYTES
        mov ecx, REQ_STATUS_OFF - REQ_ID_OFF - VIRTIO_BLK_ID_BYTES
        call .untouched
        mov rdi, req + REQ_STATUS_OFF + 1
        mov ecx, PAGE - REQ_STATUS_OFF - 1
        call .untouched
        mov al, CANARY
        mov rdi, canary_lo
        mov ecx, PAGE
        repe scasb
        CFAIL_IF ne, "the device wrote to the page below the data buffer"
        mov rdi, canary_hi
        mov ecx, PAGE
        repe scasb
        CFAIL_IF ne, "the device wrote past data_buf's page (a partial transfer?)"
        pop rdi
        pop rsi
        pop rcx
        pop rax
        ret
.untouched:
        mov al, UNTOUCHED
        repe scasb
        CFAIL_IF ne, "the device wrote to the request page outside the request's buffers"
        ret

; needs_reset_check: EAX = device_status holds DEVICE_NEEDS_RESET beside
; the driver's bits, and the configuration change notification came first
; (2.1.2; ISR bit 1, 4.1.5.3).
needs_reset_check:
        cmp eax, VIRTIO_STATUS_RUNNING | VIRTIO_STATUS_NEEDS_RESET
        CFAIL_HEX_IF ne, "device_status is not 0x4f", eax
        call vio_isr_read
        test eax, VIRTIO_ISR_CONFIG
        CFAIL_HEX_IF z, "DEVICE_NEEDS_RESET without ISR bit 1 (config change)", eax
        ret

; untouched_check: the request's status byte and ID buffer were not written.
untouched_check:
        movzx eax, byte [req + REQ_STATUS_OFF]
        cmp eax, UNTOUCHED
        CFAIL_HEX_IF ne, "the device wrote the status byte of a request it refused", eax
        mov rdi, req + REQ_ID_OFF
        mov ecx, VIRTIO_BLK_ID_BYTES
        mov al, UNTOUCHED
        repe scasb
        CFAIL_IF ne, "the device wrote the ID buffer of a request it refused"
        ret

; expect_refused: after the kick the device must go to DEVICE_NEEDS_RESET
; without completing anything or writing any of the request's buffers.
expect_refused:
        call wait_device
        CFAIL_IF c, "device_status never got DEVICE_NEEDS_RESET (timeout)"
        test eax, VIRTIO_STATUS_NEEDS_RESET
        CFAIL_HEX_IF z, "the device completed the request instead of refusing it: used idx", edx
        test edx, edx
        CFAIL_HEX_IF nz, "DEVICE_NEEDS_RESET, but the used ring advanced to", edx
        call needs_reset_check
        call untouched_check
        call guest_ram_check
        ret

; expect_contained: as expect_refused, or the request completes with
; VIRTIO_BLK_S_IOERR (possibly followed by DEVICE_NEEDS_RESET). Returns RSI
; = which, as a string.
expect_contained:
        call wait_device
        CFAIL_IF c, "neither DEVICE_NEEDS_RESET nor a completion (timeout)"
        test eax, VIRTIO_STATUS_NEEDS_RESET
        jz .ioerr
        call needs_reset_check
        test edx, edx
        jz .refused
        call ioerr_check
        jmp .reset
.refused:
        movzx eax, byte [req + REQ_STATUS_OFF]
        cmp eax, UNTOUCHED
        CFAIL_HEX_IF ne, "the device wrote the status byte, but did not complete the request", eax
.reset: call guest_ram_check
        mov rsi, outcome_reset
        ret
.ioerr: call ioerr_check
        call vio_isr_read
        test eax, VIRTIO_ISR_QUEUE
        CFAIL_HEX_IF z, "ISR queue bit clear after a used buffer (4.1.5.4)", eax
        call guest_ram_check
        mov rsi, outcome_ioerr
        ret

; ioerr_check: EDX = used idx: the request, and only it, completed, with
; VIRTIO_BLK_S_IOERR.
ioerr_check:
        cmp edx, 1
        CFAIL_HEX_IF ne, "used idx is not 1", edx
        mov eax, [ring + RING_USED_OFF + VIRTQ_USED_RING + VIRTQ_USED_ELEM_ID]
        test eax, eax
        CFAIL_HEX_IF nz, "used element id is not head 0", eax
        movzx eax, byte [req + REQ_STATUS_OFF]
        cmp eax, VIRTIO_BLK_S_IOERR
        CFAIL_HEX_IF ne, "completed, but the status byte is not VIRTIO_BLK_S_IOERR", eax
        ret

; Case 2: descriptor 0 -> 1 -> 0, both device-readable with NEXT; the
; device must notice the loop (2.7.5.2: a chain has at most queue size
; descriptors) rather than follow it.
case_loop:
        CASE "loop"
        call blk_setup
        mov dword [req + BLK_HDR_TYPE], VIRTIO_BLK_T_IN
        xor ecx, ecx
        mov eax, req
        mov edx, BLK_HDR_SIZE
        mov ebx, VIRTQ_DESC_F_NEXT | (1 << 16)
        call desc_set
        inc ecx
        mov ebx, VIRTQ_DESC_F_NEXT | (0 << 16)
        call desc_set
        xor eax, eax
        call avail_publish
        call kick
        call expect_refused
        PRINT {"vhostile: loop contained", 10}
        ret

; Case 3: an IN of sector 0 into a buffer at 1 GiB, outside guest RAM.
case_out_of_ram:
        CASE "out-of-ram"
        call blk_setup
        mov eax, VIRTIO_BLK_T_IN
        mov rsi, out_of_ram_data
        mov ecx, 1
        call build_request
        call kick
        call expect_contained
        PRINT "vhostile: out-of-ram buffer contained ("
        call puts
        PRINT {")", 10}
        ret

; Case 4: an IN of sector 0 into a buffer of 0xfffff000 bytes that starts
; in RAM (data_buf) and runs far past its end.
case_huge_len:
        CASE "huge-len"
        call blk_setup
        mov eax, VIRTIO_BLK_T_IN
        mov rsi, huge_data
        mov ecx, 1
        call build_request
        call kick
        call expect_contained
        PRINT "vhostile: huge length contained ("
        call puts
        PRINT {")", 10}
        ret

; Case 5: two data descriptors, 0xfffff000 and 0x2000 bytes: a device that
; adds lengths in 32 bits sees 0x1000 and might take the chain as sane.
case_wrap_len:
        CASE "wrap-len"
        call blk_setup
        mov eax, VIRTIO_BLK_T_IN
        mov rsi, wrap_data
        mov ecx, 2
        call build_request
        call kick
        call expect_contained
        PRINT "vhostile: wrapping lengths contained ("
        call puts
        PRINT {")", 10}
        ret

; Case 6: a valid GET_ID chain at head 0 in every slot, but avail->idx 1000
; ahead of the device, which can never be (2.7.6: at most queue size
; entries are outstanding). Nothing may be processed.
case_avail_idx:
        CASE "avail-idx"
        call blk_setup
        mov eax, VIRTIO_BLK_T_GET_ID
        mov rsi, get_id_data
        mov ecx, 1
        call build_request
        mov ax, AVAIL_AHEAD
        mov [ring + RING_AVAIL_OFF + VIRTQ_AVAIL_IDX], ax
        call kick
        call expect_refused
        PRINT {"vhostile: bad avail idx contained", 10}
        ret

; Case 7: the available ring names head 200 in a queue of 8 descriptors. A
; device that masks the index instead of checking it would find the valid
; GET_ID chain at head 0 (200 mod 8) and complete it.
case_head_range:
        CASE "head-range"
        call blk_setup
        mov eax, VIRTIO_BLK_T_GET_ID
        mov rsi, get_id_data
        mov ecx, 1
        call build_request
        mov ax, BAD_HEAD
        mov [ring + RING_AVAIL_OFF + VIRTQ_AVAIL_RING], ax
        call kick
        call expect_refused
        PRINT {"vhostile: head out of range contained", 10}
        ret

; Case 8: after all of that, a reset device answers GET_ID as in case 1.
case_recover:
        CASE "recover"
        call blk_setup
        call get_id
        mov rsi, id_text
        mov rdi, id_first
        mov ecx, VIRTIO_BLK_ID_BYTES + 1
        repe cmpsb
        CFAIL_IF ne, "GET_ID after the attacks answers another ID than before them"
        PRINT 'vhostile: recovered, get_id ok "'
        mov rsi, id_text
        call puts
        PRINT {'"', 10}
        ret

; case_fail: "FAIL vhostile: <case>: <why at RSI>", exit 1. case_fail_hex:
; the same with " (got 0x<EAX>)" after the reason.
case_fail:
        xor ebx, ebx
        jmp case_fail_print
case_fail_hex:
        mov ebx, 1
case_fail_print:
        mov edx, eax
        push rsi
        mov rsi, fail_prefix
        call puts
        mov rsi, [case_name]
        call puts
        mov rsi, fail_sep
        call puts
        pop rsi
        call puts
        test ebx, ebx
        jz .newline
        mov rsi, fail_got
        call puts
        mov eax, edx
        call put_hex32
        mov al, ')'
        call putc
.newline:
        mov al, 10
        call putc
        mov edi, 1
        jmp guest_exit

section .rodata
fail_prefix:    db "FAIL ", GUEST_NAME, ": ", 0
fail_sep:       db ": ", 0
fail_got:       db " (got 0x", 0
outcome_reset:  db "needs-reset", 0
outcome_ioerr:  db "IOERR", 0
        align 8
; Data descriptors for build_request: {gpa, length}.
get_id_data:    dq req + REQ_ID_OFF
                dd VIRTIO_BLK_ID_BYTES, 0
out_of_ram_data: dq OUT_OF_RAM_GPA
                dd SECTOR_SIZE, 0
huge_data:      dq data_buf
                dd HUGE_LEN, 0
wrap_data:      dq data_buf
                dd HUGE_LEN, 0
                dq data_buf
                dd WRAP_LEN, 0

section .data
        align 8
case_name:      dq 0
drv_avail_idx:  dw 0                    ; the driver's next avail idx

section .bss align=4096
ring:           resb PAGE               ; descriptors 0, avail 0x100, used 0x200
req:            resb PAGE               ; header 0, ID 0x40, status 0x80
canary_lo:      resb PAGE
data_buf:       resb PAGE
canary_hi:      resb PAGE
snapshot:       resb RING_USED_OFF
id_first:       resb VIRTIO_BLK_ID_BYTES + 1
id_text:        resb VIRTIO_BLK_ID_BYTES + 1
