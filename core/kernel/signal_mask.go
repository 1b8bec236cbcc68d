package kernel

// SetTemporaryMask replaces the signal mask for the duration of a system
// call that takes one (pselect6, ppoll, epoll_pwait), saving the current
// mask. The call must end with EndTemporaryMask.
func (t *Task) SetTemporaryMask(mask uint64) {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	t.savedMask = t.sigmask
	t.hasSavedMask = true
	t.sigmask = sigSet(mask) &^ unblockable
}

// EndTemporaryMask ends SetTemporaryMask. When the call was interrupted
// by a signal, the saved mask stays saved: the signal is delivered under
// the temporary mask and its frame records the saved one, so sigreturn
// restores it (Linux's restore_saved_sigmask_unless). Otherwise the saved
// mask is restored now.
func (t *Task) EndTemporaryMask(interrupted bool) {
	if interrupted {
		return
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if t.hasSavedMask {
		t.sigmask = t.savedMask
		t.hasSavedMask = false
	}
}
