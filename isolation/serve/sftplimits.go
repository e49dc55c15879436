package serve

import (
	"encoding/binary"
)

// OpenSSH's sftp client asks a server that advertises "limits@openssh.com"
// how large its reads and writes may be, and then moves 255 KiB per request
// instead of 32 KiB: an eighth of the requests, replies and wake-ups per
// byte. OpenSSH's own sftp-server advertises it; pkg/sftp does not, so the
// worker's stream adds it to the VERSION reply and answers the request
// itself, before pkg/sftp sees it.

// SFTP packet types and sizes this file needs (draft-ietf-secsh-filexfer-02
// and OpenSSH's PROTOCOL file).
const (
	fxpVersion       = 2
	fxpData          = 103
	fxpExtended      = 200
	fxpExtendedReply = 201

	limitsExtension = "limits@openssh.com"

	// sftpMaxPacket is the largest packet pkg/sftp accepts (its
	// maxMsgLength); reads and writes leave room for their headers within
	// it, as OpenSSH's sftp-server does.
	sftpMaxPacket = 256 << 10
	sftpMaxIO     = sftpMaxPacket - 1024
	// sftpOpenHandles is what the limits reply reports; OpenSSH's client
	// only uses it to cap its 64 requests in flight.
	sftpOpenHandles = 1024

	// maxPeekedRequest bounds the extended requests the stream inspects;
	// a limits request is 31 bytes.
	maxPeekedRequest = 256
)

// withLimitsExtension returns the VERSION packet pkt with limits@openssh.com
// added to its extensions, or nil if pkt is not a whole VERSION packet.
func withLimitsExtension(pkt []byte) []byte {
	if len(pkt) < 9 || pkt[4] != fxpVersion || int(binary.BigEndian.Uint32(pkt))+4 != len(pkt) {
		return nil
	}
	out := make([]byte, 0, len(pkt)+4+len(limitsExtension)+5)
	out = append(out, pkt...)
	out = appendString(out, limitsExtension)
	out = appendString(out, "1")
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// limitsRequestID reports whether pkt (a whole packet, length included) is
// a limits@openssh.com request, and its id.
func limitsRequestID(pkt []byte) (uint32, bool) {
	if len(pkt) < 13 || pkt[4] != fxpExtended {
		return 0, false
	}
	id := binary.BigEndian.Uint32(pkt[5:])
	nameLen := int(binary.BigEndian.Uint32(pkt[9:]))
	name := pkt[13:]
	if nameLen != len(limitsExtension) || len(name) < nameLen || string(name[:nameLen]) != limitsExtension {
		return 0, false
	}
	return id, true
}

// limitsReply is the EXTENDED_REPLY to the limits request id.
func limitsReply(id uint32) []byte {
	b := make([]byte, 0, 4+1+4+4*8)
	b = binary.BigEndian.AppendUint32(b, 1+4+4*8)
	b = append(b, fxpExtendedReply)
	b = binary.BigEndian.AppendUint32(b, id)
	for _, v := range []uint64{sftpMaxPacket, sftpMaxIO, sftpMaxIO, sftpOpenHandles} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
