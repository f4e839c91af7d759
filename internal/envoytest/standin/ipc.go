package standin

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"syscall"
)

// message is one hot-restart request or reply between two epochs. Real
// Envoy sends protobuf datagrams; any private framing is observably the
// same. Sockets are SOCK_SEQPACKET, so each message (and a listening socket
// passed with it by SCM_RIGHTS) arrives whole.
type message struct {
	Op                   string `json:"op,omitempty"`
	Address              string `json:"address,omitempty"`
	OriginalStartUnixNan int64  `json:"original_start_unix_nano,omitempty"`
	HasFD                bool   `json:"has_fd,omitempty"`
}

// Request operations, named after Envoy's HotRestartMessage requests.
const (
	opShutdownAdmin    = "shutdown_admin"
	opPassListenSocket = "pass_listen_socket"
	opDrainListeners   = "drain_listeners"
	opTerminate        = "terminate"
)

// socketName is the abstract Unix socket a process of this epoch listens on
// as a parent, keyed like Envoy's: base id plus epoch modulo 3.
func socketName(path string, baseID, epoch uint) string {
	return fmt.Sprintf("%s_parent_%d", path, baseID+epoch%3)
}

func listenParent(name string) (*net.UnixListener, error) {
	return net.ListenUnix("unixpacket", &net.UnixAddr{Name: name, Net: "unixpacket"})
}

func dialParent(name string) (*net.UnixConn, error) {
	return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: name, Net: "unixpacket"})
}

// send writes one message, with a listening socket when l is not nil.
func send(c *net.UnixConn, m message, l net.Listener) error {
	b, _ := json.Marshal(m)
	var oob []byte
	if l != nil {
		f, err := l.(*net.TCPListener).File()
		if err != nil {
			return err
		}
		defer f.Close()
		oob = syscall.UnixRights(int(f.Fd()))
	}
	_, _, err := c.WriteMsgUnix(b, oob, nil)
	return err
}

// receive reads one message, and the listening socket passed with it.
func receive(c *net.UnixConn) (message, net.Listener, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return message{}, nil, err
	}
	if n == 0 {
		return message{}, nil, fmt.Errorf("hot restart socket closed")
	}
	var m message
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return message{}, nil, err
	}
	if oobn == 0 {
		return m, nil, nil
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return m, nil, fmt.Errorf("bad socket in the reply: %v", err)
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return m, nil, fmt.Errorf("bad socket in the reply: %v", err)
	}
	f := os.NewFile(uintptr(fds[0]), "listener")
	defer f.Close()
	l, err := net.FileListener(f)
	return m, l, err
}

// call sends a request and waits for its reply.
func call(c *net.UnixConn, m message) (message, net.Listener, error) {
	if err := send(c, m, nil); err != nil {
		return message{}, nil, err
	}
	return receive(c)
}
