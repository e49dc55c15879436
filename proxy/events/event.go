package events

// Event is one Backend.AI event: its name and its fields in the order the
// event class declares them. The msgpack format sends the values as a
// positional array (Backend.AI's serialize() tuple); the json format sends
// the fields as an object (Backend.AI main's model_dump_json()).
type Event struct {
	Name   string
	Fields []Field
}

// Field is one named field of an event.
type Field struct {
	Key   string
	Value any
}

// Values are the field values in order.
func (e Event) Values() []any {
	v := make([]any, len(e.Fields))
	for i, f := range e.Fields {
		v[i] = f.Value
	}
	return v
}

// Backend.AI's vfolder events, which the manager consumes to leave the
// "delete-ongoing" and "cloning" states.

// VFolderDeletionSuccess says vfid is deleted.
func VFolderDeletionSuccess(vfid string) Event {
	return Event{"vfolder_deletion_success", []Field{{"vfid", vfid}}}
}

// VFolderDeletionFailure says deleting vfid failed.
func VFolderDeletionFailure(vfid, message string) Event {
	return Event{"vfolder_deletion_failure", []Field{{"vfid", vfid}, {"message", message}}}
}

// VFolderCloneSuccess says vfid was cloned into dst.
func VFolderCloneSuccess(vfid, dst string) Event {
	return Event{"vfolder_clone_success", []Field{{"vfid", vfid}, {"dst_vfid", dst}}}
}

// VFolderCloneFailure says cloning vfid into dst failed.
func VFolderCloneFailure(vfid, dst, message string) Event {
	return Event{"vfolder_clone_failure", []Field{{"vfid", vfid}, {"dst_vfid", dst}, {"message", message}}}
}

// Backend.AI's background-task events, which the manager relays to users.

// BgtaskUpdated reports progress.
func BgtaskUpdated(taskID string, current, total float64) Event {
	return Event{"bgtask_updated", []Field{{"task_id", taskID}, {"current_progress", current},
		{"total_progress", total}, {"message", nil}}}
}

// BgtaskEnded ends a task; name is "bgtask_done", "bgtask_failed" or
// "bgtask_cancelled", and an empty message is sent as null.
func BgtaskEnded(name, taskID, message string) Event {
	var msg any
	if message != "" {
		msg = message
	}
	return Event{name, []Field{{"task_id", taskID}, {"message", msg}}}
}

// BgtaskCacheID is where Backend.AI caches a task's last event for late
// subscribers (EventCacheDomain.BGTASK).
func BgtaskCacheID(taskID string) string { return "bgtask." + taskID }
